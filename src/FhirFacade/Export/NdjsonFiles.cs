namespace FhirCare.FhirFacade.Export;

/// <summary>
/// The NDJSON files of one resource type in a job's folder ([type]-[n].ndjson): one resource per line, exactly as
/// stored (stored JSON has no line breaks), a new file once the current one reaches the size limit. The error file's
/// OperationOutcomes are named by <paramref name="prefix"/> ("error"), so they never mix with exported OperationOutcomes.
/// </summary>
public sealed class NdjsonFiles(string folder, string type, long maxBytes, string? prefix = null) : IDisposable
{
    private readonly List<ExportFile> _done = [];
    private FileStream? _current;
    private long _bytes, _count;

    public long Count { get; private set; }

    public void Write(ReadOnlyMemory<byte> json)
    {
        if (_current is null || _bytes >= maxBytes) Next();
        _current!.Write(json.Span);
        _current.WriteByte((byte)'\n');
        _bytes += json.Length + 1;
        _count++;
        Count++;
    }

    /// <summary>Closes the last file; the files written, in order.</summary>
    public IReadOnlyList<ExportFile> Close()
    {
        Finish();
        return _done;
    }

    private void Next()
    {
        Finish();
        var name = $"{prefix ?? type}-{_done.Count + 1}.ndjson";
        _current = new FileStream(Path.Combine(folder, name), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _bytes = _count = 0;
    }

    private void Finish()
    {
        if (_current is null) return;
        _current.Flush(flushToDisk: true);
        _done.Add(new ExportFile(type, Path.GetFileName(_current.Name), _count));
        _current.Dispose();
        _current = null;
    }

    public void Dispose() => _current?.Dispose();
}
