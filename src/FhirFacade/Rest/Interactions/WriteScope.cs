using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>What one interaction did: its status and the version it wrote or found (null when there is none).</summary>
public sealed record InteractionResult(int Status, StoredResource? Resource, string? Message = null);

/// <summary>
/// The writes of one request before they are committed together in one <see cref="IFhirStore.CommitAsync"/>: a single
/// interaction's, or every entry of a transaction Bundle. Reads and conditional matches see the writes (and the
/// identities claimed) by earlier entries as well as the store.
/// </summary>
/// <param name="provenance">The Provenance the request's writes get, committed with them (Audit/WriteProvenance).</param>
public sealed class WriteScope(IFhirStore store, ConditionalMatch conditional, Audit.WriteProvenance? provenance = null)
{
    private sealed record Pending(string Type, string Id, Lazy<IReadOnlyList<IndexValue>> Index, bool Deleted, StoredResource? Stored);

    private readonly Dictionary<(string Type, string Id), Pending> _pending = [];
    private readonly List<ResourceWrite> _writes = [];

    public IReadOnlyList<ResourceWrite> Writes => _writes;

    /// <summary>
    /// Reserves an identity an entry will write, before it is written (so criteria can already match it). The index is
    /// only extracted if some criteria of its type are checked.
    /// </summary>
    public void Claim(string type, string id, Func<IReadOnlyList<IndexValue>> index, bool deleted) =>
        _pending[(type, id)] = new Pending(type, id, new Lazy<IReadOnlyList<IndexValue>>(index), deleted, null);

    public bool IsClaimed(string type, string id) => _pending.ContainsKey((type, id));

    public void Add(ResourceWrite write, StoredResource stored)
    {
        _writes.Add(write);
        _pending[(write.Type, write.Id)] = new Pending(write.Type, write.Id, new Lazy<IReadOnlyList<IndexValue>>(write.Index), write.Deleted, stored);
    }

    public async ValueTask<StoredResource?> ReadAsync(string type, string id, CancellationToken ct) =>
        _pending.TryGetValue((type, id), out var p) && p.Stored is not null ? p.Stored : await store.ReadAsync(type, id, ct);

    /// <summary>Up to a few matches of conditional criteria, among stored resources and this scope's own entries.</summary>
    public async Task<IReadOnlyList<StoredResource>> FindAsync(string type, string criteria, string source, CancellationToken ct)
    {
        var query = await conditional.ParseAsync(type, criteria, source, ct);
        var ofType = _pending.Values.Where(p => p.Type == type).ToList();
        var matches = (await conditional.FindAsync(query, 2 + ofType.Count, ct))
            .Where(m => !_pending.ContainsKey((m.Type, m.Id))).ToList();
        foreach (var p in ofType.Where(p => !p.Deleted))
        {
            bool hit;
            try
            {
                hit = IndexMatch.Matches(query.Filter, p.Id, p.Index.Value);
            }
            catch (NotSupportedException e)
            {
                throw FhirException.BadRequest(
                    $"{source} '{criteria}': {e.Message} cannot be checked against the other entries of this Bundle; use identifiers, codes, strings, uris or references",
                    source, OperationOutcome.IssueType.NotSupported);
            }
            if (hit) matches.Add(p.Stored ?? new StoredResource(type, p.Id, 0, default, false, ReadOnlyMemory<byte>.Empty));
        }
        return matches;
    }

    public Task CommitAsync(CancellationToken ct) =>
        _writes.Count == 0 ? Task.CompletedTask
        : store.CommitAsync(provenance is null ? _writes : [.. _writes, .. provenance.For(_writes)], ct);
}
