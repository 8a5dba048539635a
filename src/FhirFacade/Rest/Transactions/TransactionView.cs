using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;

namespace FhirCare.FhirFacade.Rest.Transactions;

/// <summary>
/// The store as a transaction's reads by id and version see it before its commit: the versions its entries are about
/// to write (a delete as its tombstone) over what is stored. Only the read and vread handlers are given this view;
/// everything else passes through to the store.
/// </summary>
public sealed class TransactionView(IFhirStore store, WriteScope scope) : IFhirStore
{
    public ValueTask<StoredResource?> ReadAsync(string type, string id, CancellationToken ct) => scope.ReadAsync(type, id, ct);

    public async ValueTask<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken ct) =>
        await scope.ReadAsync(type, id, ct) is { } current && current.Version == version ? current : await store.ReadVersionAsync(type, id, version, ct);

    public Task CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct) =>
        throw new InvalidOperationException("A transaction's reads do not write");

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct) => store.HistoryAsync(query, ct);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct) => store.SearchAsync(query, ct);

    public Task<bool> IsReadyAsync(CancellationToken ct) => store.IsReadyAsync(ct);

    public Task<IReadOnlyList<StoredResource>> ScanAsync(string type, string? afterId, int count, CancellationToken ct) => store.ScanAsync(type, afterId, count, ct);

    public Task ReindexAsync(IReadOnlyList<(StoredResource Resource, IReadOnlyList<IndexValue> Index)> items, CancellationToken ct) => store.ReindexAsync(items, ct);

    public Task<IReadOnlyDictionary<string, string>> IndexFingerprintsAsync(CancellationToken ct) => store.IndexFingerprintsAsync(ct);

    public Task SetIndexFingerprintsAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct) => store.SetIndexFingerprintsAsync(fingerprints, ct);
}
