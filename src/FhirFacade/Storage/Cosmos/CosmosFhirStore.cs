using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>
/// The Azure Cosmos DB (NoSQL API) store: one container partitioned by member (docs/cosmos.md). Every call goes
/// through the SDK's stream API (no exceptions for expected statuses, JSON read and written with System.Text.Json)
/// and records its request charge.
/// </summary>
public sealed class CosmosFhirStore : IFhirStore, IDisposable
{
    private readonly CosmosClient _client;
    private readonly Container _container;

    /// <summary>The container, for server bookkeeping kept beside the resources (<see cref="CosmosExportJobStore"/>).</summary>
    internal Container Container => _container;
    private readonly CosmosPartitions _partitions;
    private readonly CosmosRequestCharges _charges;

    /// <summary>Homes of compartment resources, from their locators: a home never changes, so nothing is ever invalidated.</summary>
    private readonly ConcurrentDictionary<(string Type, string Id), string> _homes = new();

    private const int MaxCachedHomes = 1_000_000;

    public CosmosFhirStore(IOptions<CosmosOptions> options, Compartments compartments, CosmosRequestCharges charges)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.ConnectionString))
            throw new InvalidOperationException("Storage:Cosmos:ConnectionString is required when Storage:Provider is Cosmos");
        _partitions = new CosmosPartitions(compartments);
        _charges = charges;
        _client = new CosmosClient(o.ConnectionString, ClientOptions(o));
        _container = CreateContainerAsync(o).GetAwaiter().GetResult();
    }

    private static CosmosClientOptions ClientOptions(CosmosOptions o)
    {
        var options = new CosmosClientOptions
        {
            ConnectionMode = o.ConnectionMode.Equals("Gateway", StringComparison.OrdinalIgnoreCase) ? ConnectionMode.Gateway
                : o.ConnectionMode.Equals("Direct", StringComparison.OrdinalIgnoreCase) ? ConnectionMode.Direct
                : throw new InvalidOperationException($"Storage:Cosmos:ConnectionMode must be Direct or Gateway, not '{o.ConnectionMode}'"),
            MaxRetryAttemptsOnRateLimitedRequests = o.MaxRetryAttemptsOnRateLimitedRequests,
            MaxRetryWaitTimeOnRateLimitedRequests = TimeSpan.FromSeconds(o.MaxRetryWaitSeconds),
            EnableContentResponseOnWrite = false,
        };
        var endpoint = new Uri(new System.Data.Common.DbConnectionStringBuilder { ConnectionString = o.ConnectionString }["AccountEndpoint"].ToString()!);
        if (o.AcceptEmulatorCertificate)
        {
            if (!endpoint.IsLoopback)
                throw new InvalidOperationException($"Storage:Cosmos:AcceptEmulatorCertificate is only for an emulator on this machine, not {endpoint.Host}");
            options.HttpClientFactory = () => new HttpClient(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            });
            options.LimitToEndpoint = true;
        }
        return options;
    }

    private async Task<Container> CreateContainerAsync(CosmosOptions o)
    {
        var database = (await _client.CreateDatabaseIfNotExistsAsync(o.Database)).Database;
        var properties = new ContainerProperties(o.Container, "/pk") { IndexingPolicy = IndexingPolicy() };
        var response = await database.CreateContainerIfNotExistsAsync(properties, o.Throughput);
        _charges.Record("create-container", response.RequestCharge, (int)response.StatusCode);
        return response.Container;
    }

    /// <summary>Only what reads and searches filter or sort on; the resource JSON is never indexed.</summary>
    private static IndexingPolicy IndexingPolicy()
    {
        var policy = new IndexingPolicy { IndexingMode = IndexingMode.Consistent, Automatic = true };
        foreach (var path in new[] { "/id/?", "/pk/?", "/k/?", "/t/?", "/rid/?", "/del/?", "/ts/?", "/seq/?", "/until/?", "/ix/[]/*" })
            policy.IncludedPaths.Add(new IncludedPath { Path = path });
        policy.ExcludedPaths.Add(new ExcludedPath { Path = "/*" });
        // History (ts DESC, seq DESC) and _sort=_lastUpdated (ts, id either way).
        foreach (var (second, order) in new[] { ("/seq", CompositePathSortOrder.Descending), ("/id", CompositePathSortOrder.Ascending), ("/id", CompositePathSortOrder.Descending) })
            policy.CompositeIndexes.Add([
                new CompositePath { Path = "/ts", Order = order },
                new CompositePath { Path = second, Order = order },
            ]);
        return policy;
    }

    // ---- reads -------------------------------------------------------------------------------------------------

    public async ValueTask<StoredResource?> ReadAsync(string type, string id, CancellationToken ct) =>
        await HomeAsync(type, id, ct) is { } home && await ReadDocumentAsync(CosmosDocuments.CurrentId(type, id), home, ct) is { } doc
            ? CosmosDocuments.Materialize(doc.Root)
            : null;

    public async ValueTask<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken ct)
    {
        if (await HomeAsync(type, id, ct) is not { } home) return null;
        if (await ReadDocumentAsync(CosmosDocuments.VersionId(type, id, version), home, ct) is { } earlier)
            return CosmosDocuments.Materialize(earlier.Root);
        return await ReadDocumentAsync(CosmosDocuments.CurrentId(type, id), home, ct) is { } current
               && CosmosDocuments.Materialize(current.Root) is { } stored && stored.Version == version
            ? stored
            : null;
    }

    /// <summary>The partition a resource lives in, or null if it was never written.</summary>
    private async ValueTask<string?> HomeAsync(string type, string id, CancellationToken ct)
    {
        if (_partitions.FixedHome(type, id) is { } home) return home;
        if (_homes.TryGetValue((type, id), out home)) return home;
        if (await ReadDocumentAsync(CosmosDocuments.LocatorId, CosmosDocuments.OwnPartition(type, id), ct) is not { } locator) return null;
        home = locator.Root.GetProperty("home").GetString()!;
        Remember(type, id, home);
        return home;
    }

    private void Remember(string type, string id, string home)
    {
        if (_homes.Count >= MaxCachedHomes) _homes.Clear();
        _homes[(type, id)] = home;
    }

    /// <summary>A point read (1 RU for a small document) with the document's ETag, or null on 404.</summary>
    private async Task<StoredDocument?> ReadDocumentAsync(string id, string partition, CancellationToken ct)
    {
        using var response = await _container.ReadItemStreamAsync(id, new PartitionKey(partition), cancellationToken: ct);
        _charges.Record("read", response);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Ensure(response, "read");
        using var json = await JsonDocument.ParseAsync(response.Content, cancellationToken: ct);
        return new StoredDocument(json.RootElement.Clone(), response.Headers.ETag);
    }

    /// <summary>A document (detached from the parser's pooled buffers) and the ETag that guards replacing it.</summary>
    private sealed record StoredDocument(JsonElement Root, string ETag);

    // ---- writes ------------------------------------------------------------------------------------------------

    public async Task CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct)
    {
        var homes = new List<string>(writes.Count);
        foreach (var w in writes) homes.Add(await HomeForWriteAsync(w, ct));
        if (writes.Count == 1)
        {
            await WriteOneAsync(writes[0], homes[0], ct);
            return;
        }
        if (homes.Distinct().Count() > 1)
            throw CosmosPartitions.Refused(
                $"The resources of one transaction must all belong to one member's record on the Cosmos DB store; these span {homes.Distinct().Count()} partitions ({string.Join(", ", homes.Distinct())})");
        await WriteBatchAsync(writes, homes[0], ct);
    }

    /// <summary>The partition a write goes to; for a new compartment resource its locator is written first.</summary>
    private async Task<string> HomeForWriteAsync(ResourceWrite w, CancellationToken ct)
    {
        if (_partitions.FixedHome(w.Type, w.Id) is { } fixedHome) return fixedHome;
        var wanted = w.Deleted ? null : _partitions.MemberHome(w);
        var home = await HomeAsync(w.Type, w.Id, ct);
        if (home is null)
        {
            home = wanted ?? CosmosDocuments.OwnPartition(w.Type, w.Id);
            var locator = CosmosDocuments.WriteLocator(w.Type, w.Id, home);
            using var response = await _container.CreateItemStreamAsync(new MemoryStream(locator), new PartitionKey(CosmosDocuments.OwnPartition(w.Type, w.Id)), cancellationToken: ct);
            _charges.Record("create", response);
            if (response.StatusCode == HttpStatusCode.Conflict) home = await HomeAsync(w.Type, w.Id, ct) ?? home; // a concurrent create won
            else Ensure(response, "create locator");
            Remember(w.Type, w.Id, home);
        }
        if (wanted is not null && wanted != home)
            throw CosmosPartitions.Refused(home == CosmosDocuments.OwnPartition(w.Type, w.Id)
                ? $"{w.Type}/{w.Id} was stored outside any member's record and cannot move into {wanted}'s on the Cosmos DB store; create it under a new id instead"
                : $"{w.Type}/{w.Id} belongs to {home}'s record and cannot move to {wanted}'s on the Cosmos DB store; create it under a new id instead", w.Type);
        return home;
    }

    /// <summary>
    /// One resource: copy the version being replaced to its own document (idempotent), then replace the current
    /// document under its ETag, or create it. Losing either race is a version conflict.
    /// </summary>
    private async Task WriteOneAsync(ResourceWrite w, string home, CancellationToken ct)
    {
        var key = new PartitionKey(home);
        var current = await ReadDocumentAsync(CosmosDocuments.CurrentId(w.Type, w.Id), home, ct);
        var actual = current is null ? 0 : current.Root.GetProperty("v").GetInt32();
        if (actual != w.ExpectedCurrentVersion) throw new VersionConflictException(w.Type, w.Id, w.ExpectedCurrentVersion, actual);
        var body = CosmosDocuments.Write(w, home, current: true);
        if (current is null)
        {
            using var created = await _container.CreateItemStreamAsync(new MemoryStream(body), key, cancellationToken: ct);
            _charges.Record("create", created);
            if (created.StatusCode == HttpStatusCode.Conflict) throw await ConflictAsync(w, home, ct);
            Ensure(created, "create");
            return;
        }
        using (var copy = await _container.UpsertItemStreamAsync(new MemoryStream(SupersededCopy(current.Root, w)), key, cancellationToken: ct))
        {
            _charges.Record("upsert", copy);
            Ensure(copy, "upsert version");
        }
        using var replaced = await _container.ReplaceItemStreamAsync(new MemoryStream(body), CosmosDocuments.CurrentId(w.Type, w.Id), key,
            new ItemRequestOptions { IfMatchEtag = current.ETag }, ct);
        _charges.Record("replace", replaced);
        if (replaced.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound) throw await ConflictAsync(w, home, ct);
        Ensure(replaced, "replace");
    }

    /// <summary>The current document as an earlier version: no index, and superseded when <paramref name="next"/> was written.</summary>
    private static byte[] SupersededCopy(JsonElement current, ResourceWrite next) => CosmosDocuments.With(current, new Dictionary<string, Action<Utf8JsonWriter>?>
    {
        ["id"] = j => j.WriteStringValue(CosmosDocuments.VersionId(next.Type, next.Id, current.GetProperty("v").GetInt32())),
        ["k"] = j => j.WriteStringValue(CosmosDocuments.Version),
        ["until"] = j => j.WriteStringValue(CosmosDocuments.Ticks(next.LastUpdated.UtcTicks)),
        ["ix"] = null,
    });

    private async Task<VersionConflictException> ConflictAsync(ResourceWrite w, string home, CancellationToken ct)
    {
        var now = await ReadDocumentAsync(CosmosDocuments.CurrentId(w.Type, w.Id), home, ct);
        return new VersionConflictException(w.Type, w.Id, w.ExpectedCurrentVersion, now?.Root.GetProperty("v").GetInt32() ?? 0);
    }

    /// <summary>Several resources of one member's record: one TransactionalBatch, all or nothing.</summary>
    private async Task WriteBatchAsync(IReadOnlyList<ResourceWrite> writes, string home, CancellationToken ct)
    {
        var batch = _container.CreateTransactionalBatch(new PartitionKey(home));
        foreach (var w in writes)
        {
            var current = await ReadDocumentAsync(CosmosDocuments.CurrentId(w.Type, w.Id), home, ct);
            var actual = current is null ? 0 : current.Root.GetProperty("v").GetInt32();
            if (actual != w.ExpectedCurrentVersion) throw new VersionConflictException(w.Type, w.Id, w.ExpectedCurrentVersion, actual);
            var body = new MemoryStream(CosmosDocuments.Write(w, home, current: true));
            if (current is null) batch.CreateItemStream(body);
            else
            {
                batch.UpsertItemStream(new MemoryStream(SupersededCopy(current.Root, w)));
                batch.ReplaceItemStream(CosmosDocuments.CurrentId(w.Type, w.Id), body, new TransactionalBatchItemRequestOptions { IfMatchEtag = current.ETag });
            }
        }
        using var response = await batch.ExecuteAsync(ct);
        _charges.Record("batch", response.RequestCharge, (int)response.StatusCode);
        if (response.IsSuccessStatusCode) return;
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            foreach (var w in writes)
                if (await ReadDocumentAsync(CosmosDocuments.CurrentId(w.Type, w.Id), home, ct) is var now
                    && (now?.Root.GetProperty("v").GetInt32() ?? 0) is var v && v != w.ExpectedCurrentVersion)
                    throw new VersionConflictException(w.Type, w.Id, w.ExpectedCurrentVersion, v);
            throw new VersionConflictException(writes[0].Type, writes[0].Id, writes[0].ExpectedCurrentVersion, writes[0].ExpectedCurrentVersion);
        }
        if (response.StatusCode == (HttpStatusCode)429) Ensure(new ResponseMessage((HttpStatusCode)429), "batch");
        throw new InvalidOperationException($"Cosmos DB batch failed: {(int)response.StatusCode} {response.ErrorMessage}");
    }

    // ---- queries -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads up to <paramref name="max"/> rows of a query (one query run: the SDK's continuation tokens only carry
    /// it across its own response pages; search pages resume by keyset, see <see cref="SearchAsync"/>).
    /// </summary>
    private async Task<List<JsonElement>> QueryAllAsync(QueryDefinition query, string? partition, int max, CancellationToken ct)
    {
        var rows = new List<JsonElement>();
        var options = new QueryRequestOptions
        {
            MaxItemCount = Math.Min(max, 1000),
            EnableOptimisticDirectExecution = true,
            PartitionKey = partition is null ? null : new PartitionKey(partition),
        };
        using var iterator = _container.GetItemQueryStreamIterator(query, null, options);
        while (iterator.HasMoreResults && rows.Count < max)
        {
            using var response = await iterator.ReadNextAsync(ct);
            _charges.Record("query", response);
            Ensure(response, "query");
            using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: ct);
            foreach (var row in page.RootElement.GetProperty("Documents").EnumerateArray()) rows.Add(row.Clone());
        }
        return rows;
    }

    private async Task<IReadOnlyList<string>> LookupAsync(CosmosQuery query, string? partition) =>
        (await QueryAllAsync(query.Definition(), partition, CosmosSearchCompiler.MaxLookup + 1, CancellationToken.None))
        .Select(r => r.GetString()!).ToList();

    // ---- history -----------------------------------------------------------------------------------------------

    private const string HistoryColumns = CosmosDocuments.Columns + ", c.until";

    public async Task<HistoryPage> HistoryAsync(HistoryQuery q, CancellationToken ct)
    {
        if (q.Level == HistoryLevel.Instance) return await InstanceHistoryAsync(q, ct);
        var where = "(c.k = 'c' OR c.k = 'v')";
        var query = new List<(string, object)>();
        string P(object value) { var name = "@h" + query.Count; query.Add((name, value)); return name; }
        if (q.Level == HistoryLevel.Type) where += $" AND c.t = {P(q.Type!)}";
        if (q.Since is { } since) where += $" AND c.ts >= {P(CosmosDocuments.Ticks(since.UtcTicks))}";
        if (q.At is { } at) where += $" AND c.ts <= {P(CosmosDocuments.Ticks(at.End))} AND c.until > {P(CosmosDocuments.Ticks(at.Start))}";
        if (q.Before is { } cursor)
        {
            var ticks = P(CosmosDocuments.Ticks(cursor.LastUpdatedTicks));
            where += $" AND (c.ts < {ticks} OR (c.ts = {ticks} AND c.seq < {P(cursor.Sequence)}))";
        }
        var sql = new CosmosQuery($"SELECT TOP {q.Count + 1} {HistoryColumns} FROM c WHERE {where} ORDER BY c.ts DESC, c.seq DESC", query);
        var rows = await QueryAllAsync(sql.Definition(), null, q.Count + 1, ct);
        return Page(Distinct(rows), q.Count, null);
    }

    /// <summary>Every version of one resource, from its own partition (bounded by its history), sorted here.</summary>
    private async Task<HistoryPage> InstanceHistoryAsync(HistoryQuery q, CancellationToken ct)
    {
        if (await HomeAsync(q.Type!, q.Id!, ct) is not { } home) return new HistoryPage([], null, 0);
        var sql = new CosmosQuery(
            $"SELECT {HistoryColumns} FROM c WHERE c.pk = @pk AND (c.k = 'c' OR c.k = 'v') AND c.t = @t AND c.rid = @id",
            [("@pk", home), ("@t", q.Type!), ("@id", q.Id!)]);
        var all = Distinct(await QueryAllAsync(sql.Definition(), home, int.MaxValue, ct))
            .Where(r => q.Since is not { } since || Ticks(r, "ts") >= since.UtcTicks)
            .Where(r => q.At is not { } at || (Ticks(r, "ts") <= at.End && Ticks(r, "until") > at.Start))
            .ToList();
        var page = all.Where(r => q.Before is not { } c || Ticks(r, "ts") < c.LastUpdatedTicks
                                  || (Ticks(r, "ts") == c.LastUpdatedTicks && r.GetProperty("seq").GetInt64() < c.Sequence))
            .Take(q.Count + 1).ToList();
        return Page(page, q.Count, all.Count);
    }

    private static long Ticks(JsonElement row, string name) => long.Parse(row.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Newest first, without the copy a write interrupted between its two steps may leave of the current version.</summary>
    private static List<JsonElement> Distinct(IEnumerable<JsonElement> rows) => rows
        .DistinctBy(r => (r.GetProperty("t").GetString(), r.GetProperty("rid").GetString(), r.GetProperty("v").GetInt32()))
        .OrderByDescending(r => r.GetProperty("ts").GetString(), StringComparer.Ordinal).ThenByDescending(r => r.GetProperty("seq").GetInt64())
        .ToList();

    private static HistoryPage Page(List<JsonElement> rows, int count, long? total)
    {
        var entries = rows.Take(count).Select(r => CosmosDocuments.Materialize(r, withHistory: true)).ToList();
        var next = rows.Count > count && entries.Count > 0
            ? new HistoryCursor(entries[^1].LastUpdated.UtcTicks, rows[count - 1].GetProperty("seq").GetInt64())
            : null;
        return new HistoryPage(entries, next, total);
    }

    // ---- search ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Keyset paging, as on SQLite: each page is one query ordered by the sort key and the document id (unique per
    /// resource), starting beyond the cursor's values, reading one row more than the page to know whether another follows.
    /// </summary>
    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        var keys = SortKeys(query.Sort);
        if (query.Offset != 0)
            throw FhirException.Of(400, OperationOutcome.IssueType.NotSupported,
                "_offset is not supported on the Cosmos DB store: page with the next links", "_offset");
        var cursor = query.Cursor is null ? null : PageCursor.Decode(query.Cursor);
        if (cursor is not null && (cursor.Values.Length != keys.Count || cursor.Driver != NoDriver || cursor.Values.Any(v => v is not string)))
            throw new InvalidCursorException("The _cursor does not belong to this search");
        var partition = _partitions.Pin(query);
        var where = await CosmosSearchCompiler.WhereAsync(query.ResourceType, partition, query.Filter, LookupAsync);

        var matches = new List<StoredResource>();
        string? next = null, previous = null;
        if (query.Count > 0)
        {
            var backwards = cursor?.Before == true;
            var parameters = where.Parameters.ToList();
            var paged = where.Text;
            if (cursor is not null) paged += " AND " + Beyond(keys, cursor.Values, 0, backwards, parameters);
            var order = string.Join(", ", keys.Select(k => $"{k.Expr} {(k.Descending != backwards ? "DESC" : "ASC")}"));
            var select = new CosmosQuery(
                $"SELECT TOP {query.Count + 1} {CosmosDocuments.Columns}, {string.Join(", ", keys.Select((k, i) => $"{k.Expr} AS k{i}"))} FROM c WHERE {paged} ORDER BY {order}",
                parameters);
            var rows = await QueryAllAsync(select.Definition(), partition, query.Count + 1, ct);
            var more = rows.Count > query.Count;
            if (more) rows.RemoveAt(rows.Count - 1);
            if (backwards) rows.Reverse();
            object?[] Values(JsonElement row) => keys.Select((_, i) => (object?)row.GetProperty($"k{i}").GetString()).ToArray();
            matches.AddRange(rows.Select(r => CosmosDocuments.Materialize(r)));
            if ((backwards || more) && rows.Count > 0) next = new PageCursor(false, Values(rows[^1]), NoDriver).Encode();
            if ((backwards ? more : cursor is not null) && rows.Count > 0) previous = new PageCursor(true, Values(rows[0]), NoDriver).Encode();
        }
        long? total = null;
        if (query.Total != TotalMode.None || query.Count == 0)
        {
            var count = where with { Text = $"SELECT VALUE COUNT(1) FROM c WHERE {where.Text}" };
            total = (await QueryAllAsync(count.Definition(), partition, int.MaxValue, ct)).Sum(r => r.GetInt64());
        }
        var included = query.Includes.Count == 0 ? [] : await IncludeResolution.ResolveAsync(query.Includes, matches, (spec, type, ids) => ReachAsync(spec, type, ids, ct));
        return new SearchPage(matches, included, total, next, previous);
    }

    /// <summary>Cosmos searches always read the same way: no driving condition to remember.</summary>
    private const int NoDriver = -1;

    /// <summary>
    /// The order: _lastUpdated or _id (one key), always ending with the document id so that it is total. Ordering by a
    /// value inside the index array would need a sort field per parameter, so other keys are refused.
    /// </summary>
    private static List<(string Expr, bool Descending)> SortKeys(IReadOnlyList<SortKey> sort)
    {
        if (sort.Count > 1 || sort.Count == 1 && sort[0].Param is not ("_lastUpdated" or "_id"))
            throw FhirException.Of(400, OperationOutcome.IssueType.NotSupported,
                $"_sort={string.Join(",", sort.Select(k => (k.Descending ? "-" : "") + k.Param[(k.Param.IndexOf('.') + 1)..]))} is not supported on the Cosmos DB store: sort by one of _lastUpdated or _id", "_sort");
        return sort switch
        {
            [{ Param: "_lastUpdated" } k] => [("c.ts", k.Descending), ("c.id", k.Descending)],
            [{ Param: "_id" } k] => [("c.id", k.Descending)],
            _ => [("c.id", false)],
        };
    }

    /// <summary>Rows strictly after (or before) the cursor row: (k0 beyond v0) or (k0 = v0 and (k1 beyond v1 …)); keys are never null.</summary>
    private static string Beyond(List<(string Expr, bool Descending)> keys, object?[] values, int i, bool before, List<(string, object)> parameters)
    {
        var (e, desc) = keys[i];
        var p = "@k" + i;
        parameters.Add((p, values[i]!));
        var op = desc != before ? "<" : ">";
        return i == keys.Count - 1
            ? $"{e} {op} {p}"
            : $"({e} {op} {p} OR ({e} = {p} AND {Beyond(keys, values, i + 1, before, parameters)}))";
    }

    private async ValueTask<IReadOnlyList<StoredResource>?> ReachAsync(IncludeSpec spec, string type, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var max = IncludeResolution.MaxIncluded;
        if (spec.Reverse)
        {
            if (spec.TargetType is not null && spec.TargetType != type) return null;
            var sql = new CosmosQuery(
                $"SELECT TOP {max} {CosmosDocuments.Columns} FROM c WHERE c.k = 'c' AND c.del = false AND c.t = @src " +
                $"AND EXISTS (SELECT VALUE 1 FROM i IN c.ix WHERE i.tt = @type AND ARRAY_CONTAINS(@ids, i.ti){(spec.Param is null ? "" : " AND i.p = @param")})",
                [("@src", spec.SourceType), ("@type", type), ("@ids", ids.ToArray()), ("@param", spec.Param ?? "")]);
            return (await QueryAllAsync(sql.Definition(), null, max, ct)).Select(r => CosmosDocuments.Materialize(r)).ToList();
        }
        if (spec.SourceType != type) return null;
        var targets = new CosmosQuery(
            $"SELECT j.tt, j.ti FROM c JOIN j IN c.ix WHERE c.k = 'c' AND c.t = @src AND ARRAY_CONTAINS(@ids, c.rid) " +
            $"AND j.ti != '' AND j.tt != ''{(spec.Param is null ? "" : " AND j.p = @param")}{(spec.TargetType is null ? "" : " AND j.tt = @target")}",
            [("@src", spec.SourceType), ("@ids", ids.ToArray()), ("@param", spec.Param ?? ""), ("@target", spec.TargetType ?? "")]);
        var reached = new List<StoredResource>();
        foreach (var target in (await QueryAllAsync(targets.Definition(), null, int.MaxValue, ct))
                 .Select(r => (Type: r.GetProperty("tt").GetString()!, Id: r.GetProperty("ti").GetString()!)).Distinct().Take(max))
            if (ResourceTypes.Served.Contains(target.Type) && await ReadAsync(target.Type, target.Id, ct) is { Deleted: false } resource)
                reached.Add(resource);
        return reached;
    }

    // ---- re-indexing -------------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<StoredResource>> ScanAsync(string type, string? afterId, int count, CancellationToken ct)
    {
        var sql = new CosmosQuery(
            $"SELECT TOP {count} {CosmosDocuments.Columns} FROM c WHERE c.k = 'c' AND c.del = false AND c.t = @t AND c.rid > @after ORDER BY c.rid",
            [("@t", type), ("@after", afterId ?? "")]);
        return (await QueryAllAsync(sql.Definition(), null, count, ct)).Select(r => CosmosDocuments.Materialize(r)).ToList();
    }

    /// <summary>Replaces the index of each resource whose current document is still that version (its ETag guards the replace).</summary>
    public async Task ReindexAsync(IReadOnlyList<(StoredResource Resource, IReadOnlyList<IndexValue> Index)> items, CancellationToken ct)
    {
        foreach (var (resource, index) in items)
        {
            if (await HomeAsync(resource.Type, resource.Id, ct) is not { } home) continue;
            if (await ReadDocumentAsync(CosmosDocuments.CurrentId(resource.Type, resource.Id), home, ct) is not { } current
                || current.Root.GetProperty("v").GetInt32() != resource.Version) continue;
            var body = CosmosDocuments.With(current.Root, new Dictionary<string, Action<Utf8JsonWriter>?> { ["ix"] = j => CosmosDocuments.WriteIndex(j, index) });
            using var response = await _container.ReplaceItemStreamAsync(new MemoryStream(body), CosmosDocuments.CurrentId(resource.Type, resource.Id),
                new PartitionKey(home), new ItemRequestOptions { IfMatchEtag = current.ETag }, ct);
            _charges.Record("replace", response);
            if (response.StatusCode is not (HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)) Ensure(response, "re-index");
        }
    }

    private const string FingerprintsId = "fingerprints", MetaPartition = "meta";

    public async Task<IReadOnlyDictionary<string, string>> IndexFingerprintsAsync(CancellationToken ct)
    {
        if (await ReadDocumentAsync(FingerprintsId, MetaPartition, ct) is not { } doc) return new Dictionary<string, string>();
        return doc.Root.GetProperty("types").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>Rare (start-up and after a re-index): read, merge and replace under the ETag, again if another server raced us.</summary>
    public async Task SetIndexFingerprintsAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct)
    {
        while (true)
        {
            var doc = await ReadDocumentAsync(FingerprintsId, MetaPartition, ct);
            var merged = doc is null ? new Dictionary<string, string>() : doc.Root.GetProperty("types").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            foreach (var (type, fingerprint) in fingerprints) merged[type] = fingerprint;
            var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["id"] = FingerprintsId, ["pk"] = MetaPartition, ["k"] = "f", ["types"] = merged });
            using var response = doc is null
                ? await _container.CreateItemStreamAsync(new MemoryStream(body), new PartitionKey(MetaPartition), cancellationToken: ct)
                : await _container.ReplaceItemStreamAsync(new MemoryStream(body), FingerprintsId, new PartitionKey(MetaPartition), new ItemRequestOptions { IfMatchEtag = doc.ETag }, ct);
            _charges.Record(doc is null ? "create" : "replace", response);
            if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed) continue;
            Ensure(response, "fingerprints");
            return;
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        using var response = await _container.ReadContainerStreamAsync(cancellationToken: ct);
        _charges.Record("read-container", response);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Throttling that outlasted the SDK's retries is a 503 the client may retry; anything else unexpected is a server error.</summary>
    private static void Ensure(ResponseMessage response, string operation)
    {
        if (response.IsSuccessStatusCode) return;
        if (response.StatusCode == (HttpStatusCode)429)
            throw new FhirException(503, Outcomes.Error(OperationOutcome.IssueType.Transient,
                "The Cosmos DB account is throttling requests (429) beyond the configured retries; retry later"));
        throw new InvalidOperationException($"Cosmos DB {operation} failed: {(int)response.StatusCode} {response.ErrorMessage}");
    }

    public void Dispose() => _client.Dispose();
}
