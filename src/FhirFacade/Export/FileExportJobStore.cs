using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Export;

/// <summary>
/// Export jobs as JSON files in the export folder ([OutputPath]/jobs/[id].json), for stores that do not keep them
/// themselves (Cosmos, for now). Survives a restart of this server; unlike a table in the store, it is not shared
/// by several servers, so with more than one server every export must be polled on the server that accepted it.
/// </summary>
public sealed class FileExportJobStore(IOptions<ExportOptions> options) : IExportJobStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly string _folder = Path.Combine(options.Value.OutputPath!, "jobs");

    public async Task SaveAsync(ExportJob job, CancellationToken ct)
    {
        Directory.CreateDirectory(_folder);
        var temp = PathOf(job.Id) + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(job, Json), ct);
        File.Move(temp, PathOf(job.Id), overwrite: true); // a reader never sees half a job
    }

    public async Task<ExportJob?> ReadAsync(string id, CancellationToken ct) =>
        IsJobId(id) && File.Exists(PathOf(id)) ? JsonSerializer.Deserialize<ExportJob>(await File.ReadAllTextAsync(PathOf(id), ct), Json) : null;

    public async Task<IReadOnlyList<ExportJob>> UnfinishedAsync(CancellationToken ct)
    {
        if (!Directory.Exists(_folder)) return [];
        var jobs = new List<ExportJob>();
        foreach (var file in Directory.GetFiles(_folder, "*.json"))
            if (JsonSerializer.Deserialize<ExportJob>(await File.ReadAllTextAsync(file, ct), Json) is { Status: ExportStatus.Accepted or ExportStatus.Running } job)
                jobs.Add(job);
        return jobs;
    }

    public Task DeleteAsync(string id, CancellationToken ct)
    {
        if (IsJobId(id)) File.Delete(PathOf(id));
        return Task.CompletedTask;
    }

    private string PathOf(string id) => Path.Combine(_folder, id + ".json");

    /// <summary>Ids are what the kick-off made (hex); anything else never reaches the file system.</summary>
    private static bool IsJobId(string id) => id.Length is > 0 and <= 64 && id.All(char.IsAsciiLetterOrDigit);
}
