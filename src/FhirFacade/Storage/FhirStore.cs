using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;

namespace FhirCare.FhirFacade.Storage;

/// <summary>
/// The storage seam: versioned resources, history, atomic multi-resource writes and index-backed search.
/// Every backend (SQLite now, Cosmos later) implements exactly this; nothing backend-specific leaks above it.
/// </summary>
public interface IFhirStore
{
    /// <summary>The current version of a resource (a tombstone if its last version is a delete), or null if it never existed.</summary>
    ValueTask<StoredResource?> ReadAsync(string type, string id, CancellationToken ct);

    ValueTask<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken ct);

    /// <summary>
    /// Writes all of <paramref name="writes"/> atomically, or none of them. Each write names the version it expects to
    /// replace (0: the resource must not exist yet); a mismatch throws <see cref="VersionConflictException"/>.
    /// </summary>
    Task CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct);

    Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct);

    Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct);

    Task<bool> IsReadyAsync(CancellationToken ct);

    /// <summary>Current, non-deleted resources of a type in id order, a page at a time (for re-indexing).</summary>
    Task<IReadOnlyList<StoredResource>> ScanAsync(string type, string? afterId, int count, CancellationToken ct);

    /// <summary>
    /// Replaces the search index of each resource, if the given version is still its current one (a newer version
    /// was indexed when it was written). Changes no version and no history.
    /// </summary>
    Task ReindexAsync(IReadOnlyList<(StoredResource Resource, IReadOnlyList<IndexValue> Index)> items, CancellationToken ct);

    /// <summary>Per resource type, the fingerprint of the search parameters its stored index was built with.</summary>
    Task<IReadOnlyDictionary<string, string>> IndexFingerprintsAsync(CancellationToken ct);

    Task SetIndexFingerprintsAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct);
}

/// <summary>
/// One stored version. <see cref="Json"/> is the resource exactly as served (empty for a delete). History reads also
/// fill <see cref="Method"/> and <see cref="Status"/>: the interaction that wrote the version and how it answered.
/// </summary>
public sealed record StoredResource(
    string Type, string Id, int Version, DateTimeOffset LastUpdated, bool Deleted, ReadOnlyMemory<byte> Json,
    string? Method = null, int? Status = null)
{
    public string ETag => field ??= $"W/\"{Version}\"";

    /// <summary>lastUpdated as an HTTP date, formatted once per version (cached resources are read many times).</summary>
    public string HttpLastModified => field ??= LastUpdated.ToString("R");
}

/// <summary>
/// A new version to store: its JSON already carries the id, versionId and lastUpdated. Method and Status record the
/// interaction (POST/PUT/PATCH/DELETE) and its answer (201/200/204) for history.
/// </summary>
public sealed record ResourceWrite(
    string Type, string Id, int Version, int ExpectedCurrentVersion, DateTimeOffset LastUpdated, bool Deleted,
    ReadOnlyMemory<byte> Json, IReadOnlyList<IndexValue> Index, string Method, int Status)
{
    /// <summary>Re-index only: replace the index of <see cref="Version"/> if it is still current; write no version.</summary>
    public bool IndexOnly { get; init; }
}

public sealed class VersionConflictException(string type, string id, int expected, int actual)
    : Exception($"{type}/{id} is at version {actual}, not {expected}")
{
    public string Type { get; } = type;
    public string Id { get; } = id;
    public int Expected { get; } = expected;
    public int Actual { get; } = actual;
}

public enum HistoryLevel { System, Type, Instance }

/// <summary>History, newest first. <see cref="Before"/> is the keyset cursor of the page.</summary>
/// <param name="At">_at: the versions current at some point of this closed range of UTC ticks.</param>
public sealed record HistoryQuery(
    HistoryLevel Level, string? Type, string? Id, DateTimeOffset? Since, (long Start, long End)? At, int Count,
    HistoryCursor? Before);

/// <summary>Where a history page ends: the last entry's (lastUpdated, sequence).</summary>
public sealed record HistoryCursor(long LastUpdatedTicks, long Sequence);

public sealed record HistoryPage(IReadOnlyList<StoredResource> Entries, HistoryCursor? Next, long? Total);

/// <summary>
/// One page of matches and what _include/_revinclude added. <see cref="Next"/> and <see cref="Previous"/> are opaque
/// cursors (made by the store, given back in <see cref="SearchQuery.Cursor"/>) for the neighbouring pages, or null.
/// </summary>
public sealed record SearchPage(
    IReadOnlyList<StoredResource> Matches, IReadOnlyList<StoredResource> Included, long? Total, string? Next, string? Previous);

/// <summary>A paging cursor the store did not make or cannot read.</summary>
public sealed class InvalidCursorException(string message) : Exception(message);
