using System.Text.RegularExpressions;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirCare.FhirFacade.Rest.Transactions;

/// <summary>
/// Processes batch and transaction Bundles (http.html#transaction) with the single-resource interactions' own cores,
/// in the spec's order (DELETE, POST, PUT/PATCH, GET/HEAD). A transaction first resolves every entry's identity
/// (ids assigned, conditional create/update/delete matched against the store and the other entries), then rewrites
/// urn:uuid/urn:oid and conditional references, then computes every write, and commits them all in one
/// <see cref="IFhirStore.CommitAsync"/>: any failure fails the whole Bundle and nothing is written. A batch runs the
/// same steps for each entry on its own and commits it alone; a failed entry gets its own error status.
/// </summary>
public sealed partial class BundleProcessor(IFhirStore store, ConditionalMatch conditional, VersionedWrites writes, IndexExtractor indexer, ResourceValidator validator)
{
    public async Task<IReadOnlyList<EntryResponse>> TransactionAsync(HttpContext context, IReadOnlyList<EntryRequest> entries)
    {
        var ct = context.RequestAborted;
        var run = new Run(this, entries, batch: false) { Scope = NewScope(context) };
        var ordered = entries.OrderBy(e => e.Rank).ToList(); // stable: entries of one rank keep their order
        var writesInOrder = ordered.Where(e => e.IsWrite).ToList();
        foreach (var e in ordered.Where(e => !e.IsWrite))
            if (EntryReads.Route(e.Path) is null) throw Located(EntryReads.NoEndpoint(e), e);
        foreach (var e in writesInOrder) await Located(e, () => run.ResolveAsync(e, ct));
        foreach (var e in writesInOrder) await Located(e, () => run.RewriteAsync(e, ct));
        foreach (var e in writesInOrder) await Located(e, () => run.ExecuteAsync(e, ct));
        try
        {
            await run.Scope.CommitAsync(ct);
        }
        catch (VersionConflictException e)
        {
            throw FhirException.Of(409, OperationOutcome.IssueType.Conflict, $"{e.Type}/{e.Id} changed while the transaction was processed; nothing was written, try again");
        }
        var responses = new EntryResponse[entries.Count];
        foreach (var e in ordered)
            responses[e.Index] = e.IsWrite ? await run.ResponseAsync(e, context, ct) : await ReadAsync(context, e);
        return responses;
    }

    public async Task<IReadOnlyList<EntryResponse>> BatchAsync(HttpContext context, IReadOnlyList<EntryRequest> entries)
    {
        var ct = context.RequestAborted;
        var run = new Run(this, entries, batch: true);
        var responses = new EntryResponse[entries.Count];
        foreach (var e in entries.OrderBy(e => e.Rank))
        {
            if (!e.IsWrite)
            {
                responses[e.Index] = await ReadAsync(context, e);
                continue;
            }
            run.Scope = NewScope(context);
            try
            {
                await Located(e, () => run.ResolveAsync(e, ct));
                await Located(e, () => run.RewriteAsync(e, ct));
                await Located(e, () => run.ExecuteAsync(e, ct));
                await run.Scope.CommitAsync(ct);
                responses[e.Index] = await run.ResponseAsync(e, context, ct);
            }
            catch (FhirException x)
            {
                run.Forget(e);
                responses[e.Index] = Failure(x);
            }
            catch (VersionConflictException x)
            {
                run.Forget(e);
                responses[e.Index] = Failure(Located(Update.ConflictOf(x, e.IfMatch, "written"), e));
            }
        }
        return responses;
    }

    private VersionedWrites Writes => writes;
    private ResourceValidator Validator => validator;
    private IndexExtractor Indexer => indexer;

    public static string StatusText(int status) => $"{status} {ReasonPhrases.GetReasonPhrase(status)}".TrimEnd();

    private WriteScope NewScope(HttpContext context) => new(store, conditional, Audit.WriteProvenance.Of(context));

    private static async Task<EntryResponse> ReadAsync(HttpContext context, EntryRequest e)
    {
        try
        {
            return await EntryReads.ReadAsync(context, e);
        }
        catch (FhirException x)
        {
            return Failure(Located(x, e));
        }
    }

    private static EntryResponse Failure(FhirException e) => new(StatusText(e.Status), Outcome: e.Outcome);

    private static async Task Located(EntryRequest entry, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (FhirException e)
        {
            throw Located(e, entry);
        }
    }

    /// <summary>Points an entry's error at the entry: FHIRPath expressions rooted at Bundle.entry[i].</summary>
    private static FhirException Located(FhirException e, EntryRequest entry)
    {
        var type = entry.Resource?.TypeName;
        foreach (var issue in e.Outcome.Issue)
        {
            if ((issue.Expression ?? []).OfType<string>().Any(x => x.StartsWith("Bundle.", StringComparison.Ordinal))) continue;
            var expressions = (issue.Expression ?? []).OfType<string>().Select(x =>
                type is not null && (x == type || x.StartsWith(type + ".", StringComparison.Ordinal)) ? entry.Location + ".resource" + x[type.Length..] : x).ToList();
            if (!expressions.Any(x => x.StartsWith("Bundle.", StringComparison.Ordinal))) expressions.Insert(0, entry.Location);
            issue.Expression = expressions;
            issue.Diagnostics = $"Entry {entry.Index} ({entry.Method} {entry.Url}): {issue.Diagnostics}";
        }
        return e;
    }

    [GeneratedRegex(@"urn:(uuid|oid):[^&,\s]+")]
    private static partial Regex LocalReference();

    /// <summary>The state of one Bundle being processed: each entry's target identity, and fullUrl → [type]/[id].</summary>
    private sealed class Run(BundleProcessor processor, IReadOnlyList<EntryRequest> entries, bool batch)
    {
        private sealed class EntryState
        {
            public bool Visiting, Done;
            public string? Id;
            public StoredResource? Existing;
            public InteractionResult? Result;
        }

        private readonly EntryState[] _states = entries.Select(_ => new EntryState()).ToArray();
        private readonly Dictionary<string, string> _assigned = [];
        private readonly Dictionary<(string, string), int> _targets = [];
        private readonly Dictionary<string, string> _conditionalReferences = [];
        private readonly Dictionary<string, EntryRequest> _byFullUrl = entries.Where(e => e.FullUrl is not null)
            .GroupBy(e => e.FullUrl!).ToDictionary(g => g.Key, g => g.First());
        private readonly HashSet<string> _fullUrls = entries.Where(e => e.FullUrl is not null).Select(e => e.FullUrl!).ToHashSet();

        public WriteScope Scope { get; set; } = null!;

        /// <summary>Decides which resource the entry writes: its id, or the match of its conditional criteria.</summary>
        public async Task ResolveAsync(EntryRequest e, CancellationToken ct)
        {
            var state = _states[e.Index];
            if (state.Done) return;
            if (state.Visiting)
                throw FhirException.BadRequest("The entry's conditional criteria depend, through other entries, on the entry itself (circular conditional references)", $"{e.Location}.request");
            state.Visiting = true;
            string? id;
            Func<IReadOnlyList<IndexValue>> index = () => [];
            switch (e.Method)
            {
                case Bundle.HTTPVerb.POST:
                    state.Existing = await Create.MatchAsync(Scope, e.Type, await CriteriaAsync(e, e.IfNoneExist, ct), $"{e.Location}.request.ifNoneExist", ct);
                    id = state.Existing?.Id ?? Create.NewId();
                    index = () => processor.Indexer.Extract(e.Resource!);
                    break;
                case Bundle.HTTPVerb.PUT:
                    id = e.Id ?? await Update.ResolveConditionalAsync(Scope, e.Resource!, (await CriteriaAsync(e, e.Criteria, ct))!, $"{e.Location}.request.url", ct);
                    index = () => processor.Indexer.Extract(e.Resource!);
                    break;
                case Bundle.HTTPVerb.DELETE:
                    if (e.Id is null) state.Existing = await Delete.MatchAsync(Scope, e.Type, (await CriteriaAsync(e, e.Criteria, ct))!, $"{e.Location}.request.url", ct);
                    id = e.Id ?? state.Existing?.Id;
                    break;
                default:
                    id = e.Id;
                    break;
            }
            if (id is not null && (state.Existing is null || e.Method != Bundle.HTTPVerb.POST))
            {
                if (_targets.TryGetValue((e.Type, id), out var other) && other != e.Index)
                    throw FhirException.BadRequest($"{e.Type}/{id} is the target of entry {other} as well; a resource may appear only once in a Bundle", $"{e.Location}.request");
                _targets[(e.Type, id)] = e.Index;
                Scope.Claim(e.Type, id, index, deleted: e.Method == Bundle.HTTPVerb.DELETE);
            }
            if (id is not null && e.FullUrl is not null && e.Method != Bundle.HTTPVerb.DELETE) _assigned[e.FullUrl] = $"{e.Type}/{id}";
            state.Id = id;
            state.Done = true;
            state.Visiting = false;
        }

        /// <summary>A batch entry that failed: other entries must not take its identity for granted.</summary>
        public void Forget(EntryRequest e)
        {
            if (e.FullUrl is not null) _assigned.Remove(e.FullUrl);
            var state = _states[e.Index];
            if (state.Id is not null) _targets.Remove((e.Type, state.Id));
            state.Id = null;
        }

        /// <summary>Criteria with urn:uuid/urn:oid references replaced by the entries' assigned [type]/[id].</summary>
        private async Task<string?> CriteriaAsync(EntryRequest e, string? criteria, CancellationToken ct)
        {
            if (criteria is null || !criteria.Contains("urn:", StringComparison.Ordinal)) return criteria;
            foreach (Match m in LocalReference().Matches(criteria))
            {
                var local = Uri.UnescapeDataString(m.Value);
                if (!_assigned.ContainsKey(local) && _byFullUrl.TryGetValue(local, out var target) && target.IsWrite && !batch)
                    await ResolveAsync(target, ct);
                if (!_assigned.TryGetValue(local, out var assigned))
                    throw FhirException.BadRequest($"The criteria '{criteria}' name {local}, which is not the fullUrl of an entry {(batch ? "processed earlier in this batch" : "of this Bundle")}",
                        $"{e.Location}.request");
                criteria = criteria.Replace(m.Value, assigned, StringComparison.Ordinal);
            }
            return criteria;
        }

        /// <summary>Rewrites the references in the entry's resource to the identities resolved for the Bundle.</summary>
        public async Task RewriteAsync(EntryRequest e, CancellationToken ct)
        {
            if (e.Resource is null or Binary) return;
            foreach (var target in ReferenceRewriter.Find(e.Resource, $"{e.Location}.resource", _fullUrls))
            {
                if (_assigned.TryGetValue(target.Reference, out var assigned)) target.Value = assigned;
                else if (ReferenceRewriter.IsLocal(target.Reference) || _fullUrls.Contains(target.Reference))
                    throw FhirException.BadRequest(_byFullUrl.ContainsKey(target.Reference)
                            ? $"{target.Reference} names an entry that does not create or update a resource{(batch ? " (or failed, or comes later in this batch)" : "")}"
                            : $"{target.Reference} is not the fullUrl of any entry in this Bundle",
                        target.Location, OperationOutcome.IssueType.NotFound);
                else target.Value = await ConditionalReferenceAsync(e, target, ct);
            }
        }

        private async Task<string> ConditionalReferenceAsync(EntryRequest e, ReferenceRewriter.Target target, CancellationToken ct)
        {
            if (_conditionalReferences.TryGetValue(target.Reference, out var known)) return known;
            var question = target.Reference.IndexOf('?');
            var type = target.Reference[..question];
            var criteria = (await CriteriaAsync(e, target.Reference[(question + 1)..], ct))!;
            var matches = await Scope.FindAsync(type, criteria, target.Location, ct);
            if (matches.Count > 1)
                throw FhirException.MultipleMatches($"The conditional reference {target.Reference} matches {matches.Count} {type} resources; it must match exactly one");
            if (matches.Count == 0)
                throw FhirException.Of(400, OperationOutcome.IssueType.NotFound, $"The conditional reference {target.Reference} matches no {type}; it must match exactly one", target.Location);
            var resolved = $"{type}/{matches[0].Id}";
            if (!batch) _conditionalReferences[target.Reference] = resolved; // in a batch, each entry sees the store afresh
            return resolved;
        }

        /// <summary>Computes the entry's write with the interaction's own core, adding it to the scope.</summary>
        public async Task ExecuteAsync(EntryRequest e, CancellationToken ct)
        {
            var state = _states[e.Index];
            var writes = processor.Writes;
            var at = $"{e.Location}.resource";
            if (e.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT && state.Existing is null) processor.Validator.Check(e.Resource!, at: at);
            state.Result = e.Method switch
            {
                Bundle.HTTPVerb.POST => state.Existing is { } existing ? Create.Found(existing) : Create.Write(Scope, writes, e.Resource!, state.Id!),
                Bundle.HTTPVerb.PUT => await Update.WriteAsync(Scope, writes, e.Resource!, state.Id!, e.IfMatch, ct),
                Bundle.HTTPVerb.PATCH => await Interactions.Patch.ApplyAsync(Scope, writes, e.Type, state.Id!, PatchOf(e), e.IfMatch, ct, r => processor.Validator.Check(r, patched: true, at: at)),
                _ => state.Id is null || await Delete.ReadAsync(Scope, e.Type, state.Id, e.IfMatch, ct) is not { } current
                    ? new InteractionResult(204, null)
                    : Delete.Tombstone(Scope, writes, current),
            };
        }

        private static PatchDocument PatchOf(EntryRequest e) => e.Resource switch
        {
            Binary { ContentType: "application/json-patch+json", Data: { } data } => PatchDocument.Json(data),
            Binary => throw FhirException.BadRequest("A Binary PATCH entry must have contentType application/json-patch+json and data", $"{e.Location}.resource.contentType"),
            var parameters => PatchDocument.FhirPath(parameters!),
        };

        public async Task<EntryResponse> ResponseAsync(EntryRequest e, HttpContext context, CancellationToken ct)
        {
            var result = _states[e.Index].Result!;
            var resource = result.Resource;
            if (resource is { Version: 0 }) resource = await Scope.ReadAsync(resource.Type, resource.Id, ct); // matched another entry
            var status = StatusText(result.Status);
            if (resource is null || resource.Deleted) return new EntryResponse(status, ETag: resource?.ETag);
            var prefer = Prefer.From(context.Request);
            return new EntryResponse(status,
                FullUrl: $"{context.RequestServices.GetRequiredService<BaseUrl>().Of(context.Request)}/{resource.Type}/{resource.Id}",
                Location: $"{resource.Type}/{resource.Id}/_history/{resource.Version}",
                ETag: resource.ETag, LastModified: resource.LastUpdated,
                Resource: prefer.Return == ReturnPreference.Representation ? (ReadOnlyMemory<byte>?)resource.Json : null, // (not null → empty Memory)
                Outcome: prefer.Return == ReturnPreference.OperationOutcome
                    ? Outcomes.Information(result.Message ?? $"{resource.Type}/{resource.Id} is now at version {resource.Version}")
                    : null);
        }

    }
}
