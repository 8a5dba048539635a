using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Storage;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// At start-up, brings the stored search index in line with the registry: for every resource type whose parameter
/// set changed since its resources were indexed (a SearchParameter added to profiles/, say), re-extracts and
/// replaces the index of every stored resource of that type, in batches, logging its progress. Until a type is done,
/// searches on its new parameters may miss resources not yet re-indexed; <see cref="Pending"/> says which.
/// </summary>
public sealed class Reindexer(IFhirStore store, SearchParameterRegistry registry, IndexExtractor extractor, SearchOptions options, ILogger<Reindexer> logger)
    : BackgroundService
{
    private const int BatchSize = 500;
    private readonly HashSet<string> _pending = [];

    public IReadOnlyCollection<string> Pending { get { lock (_pending) return _pending.ToArray(); } }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (!options.IndexOnWrite)
        {
            // Forget every recorded fingerprint: the next start with indexing on re-indexes whatever was written now.
            logger.LogWarning("Search:IndexOnWrite is off: resources written now are not searchable by parameter until a restart with it on");
            await store.SetIndexFingerprintsAsync(ResourceTypes.Served.ToDictionary(t => t, _ => ""), ct);
            return;
        }
        var recorded = await store.IndexFingerprintsAsync(ct);
        var changed = new Dictionary<string, string>();
        foreach (var type in ResourceTypes.Served)
            if (registry.Fingerprint(type) is var fingerprint && recorded.GetValueOrDefault(type) != fingerprint)
                changed[type] = fingerprint;
        lock (_pending) _pending.UnionWith(changed.Keys);

        // Types with nothing stored need no work: record them at once (a new database records every type here).
        var empty = new Dictionary<string, string>();
        foreach (var (type, fingerprint) in changed)
            if ((await store.ScanAsync(type, null, 1, ct)).Count == 0) empty[type] = fingerprint;
        if (empty.Count > 0) await store.SetIndexFingerprintsAsync(empty, ct);
        lock (_pending) _pending.ExceptWith(empty.Keys);

        foreach (var (type, fingerprint) in changed.Where(c => !empty.ContainsKey(c.Key)))
        {
            var done = 0;
            string? after = null;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var page = await store.ScanAsync(type, after, BatchSize, ct);
                if (page.Count == 0) break;
                var items = page.Select(r => (r, extractor.Extract(FhirResponses.ParseStored(r)))).ToList();
                await store.ReindexAsync(items, ct);
                done += page.Count;
                after = page[^1].Id;
                logger.LogInformation("Re-indexing {Type}: {Done} resources so far", type, done);
            }
            await store.SetIndexFingerprintsAsync(new Dictionary<string, string> { [type] = fingerprint }, ct);
            lock (_pending) _pending.Remove(type);
            logger.LogInformation("Re-indexed {Count} {Type} resources for the current search parameters", done, type);
        }
    }
}
