using System.Collections.Concurrent;
using FhirCare.FhirFacade.Search;

namespace FhirCare.FhirFacade.Storage;

public sealed class ResourceCacheOptions
{
    /// <summary>How many bytes of current-version JSON to keep in memory; 0 turns the cache off.</summary>
    public long MaxBytes { get; set; } = 64 * 1024 * 1024;
}

/// <summary>
/// Keeps the current version of recently read or written resources in memory, in front of any store, so reads by
/// id skip the database. Versions only grow, so an entry is only ever replaced by a higher version: a slow reader
/// can never put back a version that a writer has already superseded. Eviction is arbitrary once over the budget.
/// The wrapped store belongs to the container that made it and is disposed there.
/// </summary>
public sealed class CachedFhirStore(IFhirStore inner, long maxBytes) : IFhirStore
{
    private readonly ConcurrentDictionary<(string Type, string Id), StoredResource> _current = new();
    private long _bytes;

    public async ValueTask<StoredResource?> ReadAsync(string type, string id, CancellationToken ct)
    {
        if (_current.TryGetValue((type, id), out var cached)) return cached;
        var stored = await inner.ReadAsync(type, id, ct);
        if (stored is not null) Offer(stored);
        return stored;
    }

    public async Task CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct)
    {
        await inner.CommitAsync(writes, ct);
        foreach (var w in writes) Offer(new StoredResource(w.Type, w.Id, w.Version, w.LastUpdated, w.Deleted, w.Json));
    }

    public ValueTask<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken ct) =>
        inner.ReadVersionAsync(type, id, version, ct);

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct) => inner.HistoryAsync(query, ct);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) => inner.SearchAsync(query, ct);

    public Task<bool> IsReadyAsync(CancellationToken ct) => inner.IsReadyAsync(ct);

    public Task<IReadOnlyList<StoredResource>> ScanAsync(string type, string? afterId, int count, CancellationToken ct) =>
        inner.ScanAsync(type, afterId, count, ct);

    public Task ReindexAsync(IReadOnlyList<(StoredResource Resource, IReadOnlyList<IndexValue> Index)> items, CancellationToken ct) =>
        inner.ReindexAsync(items, ct);

    public Task<IReadOnlyDictionary<string, string>> IndexFingerprintsAsync(CancellationToken ct) => inner.IndexFingerprintsAsync(ct);

    public Task SetIndexFingerprintsAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct) =>
        inner.SetIndexFingerprintsAsync(fingerprints, ct);

    private void Offer(StoredResource resource)
    {
        var key = (resource.Type, resource.Id);
        StoredResource? replaced = null;
        var kept = _current.AddOrUpdate(key, resource, (_, existing) =>
        {
            if (existing.Version >= resource.Version) return existing;
            replaced = existing;
            return resource;
        });
        if (!ReferenceEquals(kept, resource)) return;
        Interlocked.Add(ref _bytes, resource.Json.Length - (replaced?.Json.Length ?? 0));
        if (Interlocked.Read(ref _bytes) > maxBytes) Evict();
    }

    private void Evict()
    {
        var target = maxBytes * 3 / 4;
        foreach (var (key, _) in _current)
        {
            if (Interlocked.Read(ref _bytes) <= target) break;
            if (_current.TryRemove(key, out var removed)) Interlocked.Add(ref _bytes, -removed.Json.Length);
        }
    }
}
