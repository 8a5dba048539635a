using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using FhirCare.FhirFacade.Guide;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// The one resolver for everything validation reads: the official R4 StructureDefinitions, ValueSets and CodeSystems
/// (embedded <c>Definitions/r4-definitions.ndjson.gz</c>) and ours from profiles/. The embedded file is indexed by
/// canonical URL once (~100 ms); each definition is parsed when first asked for, so start-up pays nothing and a
/// Patient validation parses only the dozen definitions it touches. Our StructureDefinitions get their snapshot from
/// the SDK's <see cref="SnapshotGenerator"/> the first time they are resolved.
/// </summary>
public sealed class ConformanceResources : IAsyncResourceResolver
{
    private const string EmbeddedName = "FhirCare.Validation.r4-definitions.ndjson.gz";
    private static readonly FhirJsonDeserializer Parser = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

    private readonly Lazy<Dictionary<string, ReadOnlyMemory<byte>>> _core = new(LoadCore);
    private readonly Dictionary<string, Resource> _own;
    private readonly ConcurrentDictionary<string, Lazy<Resource?>> _resolved = new(StringComparer.Ordinal);

    public ConformanceResources(ProfilesFolder folder) : this(GuidePublisher.Load(folder.Path).Select(a => a.Resource)) { }

    public ConformanceResources(IEnumerable<Resource> own)
    {
        _own = new(StringComparer.Ordinal);
        foreach (var r in own)
            if (r is IVersionableConformanceResource { Url: { Length: > 0 } url } && r is Hl7.Fhir.Model.StructureDefinition or ValueSet or CodeSystem)
                _own[url] = r;
    }

    /// <summary>Our own artefacts (profiles, extensions, ValueSets, CodeSystems), by canonical URL.</summary>
    public IReadOnlyCollection<Resource> Own => _own.Values;

    public StructureDefinition? StructureDefinition(string canonical) => Find(canonical) as Hl7.Fhir.Model.StructureDefinition;

    /// <summary>The definition with this canonical URL (a "|version" suffix is ignored), or null when unknown.</summary>
    public Resource? Find(string canonical)
    {
        var url = canonical.Split('|')[0];
        return _resolved.GetOrAdd(url, u => new Lazy<Resource?>(() => Materialise(u))).Value;
    }

    /// <summary>Forces the embedded index to load (used to warm up off the request path).</summary>
    public int CoreCount => _core.Value.Count;

    private Resource? Materialise(string url)
    {
        if (_own.TryGetValue(url, out var own))
        {
            if (own is Hl7.Fhir.Model.StructureDefinition sd && sd.Snapshot is null)
            {
                var copy = (Hl7.Fhir.Model.StructureDefinition)sd.DeepCopy();
                var generator = new SnapshotGenerator(this, new SnapshotGeneratorSettings { GenerateElementIds = true });
                generator.UpdateAsync(copy).GetAwaiter().GetResult();
                if (copy.Snapshot is null)
                    throw new InvalidOperationException($"No snapshot could be generated for {url}: {string.Join("; ", generator.Outcome?.Issue.Select(i => i.Diagnostics) ?? [])}");
                // The generator appends differential elements it cannot place (out of order, bad path) instead of failing.
                if (copy.Snapshot.Element.GroupBy(e => e.ElementId).FirstOrDefault(g => g.Count() > 1) is { } twice)
                    throw new InvalidOperationException($"{url}: the differential puts {twice.Key} out of the base definition's order (or on a path it does not have)");
                return copy;
            }
            return own;
        }
        if (!_core.Value.TryGetValue(url, out var json)) return null;
        var reader = new Utf8JsonReader(json.Span);
        return Parser.DeserializeResource(ref reader);
    }

    private static Dictionary<string, ReadOnlyMemory<byte>> LoadCore()
    {
        using var stream = typeof(ConformanceResources).Assembly.GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException($"The embedded definitions {EmbeddedName} are missing from the build");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        var all = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var index = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var start = 0;
        while (start < all.Length)
        {
            var end = all.Span[start..].IndexOf((byte)'\n');
            var line = end < 0 ? all[start..] : all.Slice(start, end);
            start = end < 0 ? all.Length : start + end + 1;
            if (line.Length == 0) continue;
            index[UrlOf(line.Span)] = line;
        }
        return index;
    }

    /// <summary>The top-level "url" of one resource, read without materialising the rest.</summary>
    private static string UrlOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("url"u8)) { reader.Read(); return reader.GetString()!; }
            reader.Read();
            reader.TrySkip();
        }
        throw new InvalidOperationException("An embedded definition has no url");
    }

    public Task<Resource?> ResolveByCanonicalUriAsync(string uri) => System.Threading.Tasks.Task.FromResult(Find(uri));

    public Task<Resource?> ResolveByUriAsync(string uri) => System.Threading.Tasks.Task.FromResult(Find(uri));
}
