using System.Security.Claims;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Security;

/// <summary>
/// What one request may do, from its principal: the resource scopes (what it may do with each type) and the context
/// (a <c>patient</c> claim: that patient's compartment only; a <c>fhircare_vendor</c> claim: the members and Tasks
/// assigned to that Organization). Every interaction asks it the same three questions: <see cref="Demand"/> (403 when
/// a scope is missing), <see cref="Restrict(SearchQuery)"/> (mandatory clauses every store compiles into its query) and
/// <see cref="VisibleAsync"/> (for what cannot be restricted in a query: reads, history, includes).
/// Out-of-context data is answered as if it did not exist.
/// </summary>
public sealed class AccessPolicy
{
    /// <summary>Authorization is off (Security:Enabled false): everything is allowed.</summary>
    public static readonly AccessPolicy Open = new(null, [], null, null, null);

    private readonly AccessRules? _rules;
    private readonly IReadOnlyList<SmartScope> _scopes;
    private readonly Dictionary<string, Permissions> _byType = [];
    private readonly Dictionary<string, SearchExpression?> _conditions = [];

    internal AccessPolicy(AccessRules? rules, IReadOnlyList<SmartScope> scopes, string? patient, string? vendor, string? client)
    {
        _rules = rules;
        _scopes = scopes;
        Patient = patient;
        Vendor = vendor;
        Client = client;
    }

    public bool Enforced => _rules is not null;

    /// <summary>The patient id of a patient-context token.</summary>
    public string? Patient { get; }

    /// <summary>The Organization id of a vendor client.</summary>
    public string? Vendor { get; }

    /// <summary>The registered client (client_id claim), for ownership of asynchronous work such as exports.</summary>
    public string? Client { get; }

    /// <summary>True when a context (patient or vendor) narrows what the scopes allow.</summary>
    public bool InContext => Enforced && (Patient is not null || Vendor is not null);

    /// <summary>The scopes as granted, one string (kept with asynchronous work and rebuilt by <see cref="AccessRules.From"/>).</summary>
    public string Scopes => string.Join(' ', _scopes.Select(s => $"{s.Level.ToString().ToLowerInvariant()}/{s.Type}.{Letters(s.Permissions)}"));

    private static string Letters(Permissions p) => new(Enumerable.Range(0, 5).Where(i => ((int)p & (1 << i)) != 0).Select(i => "cruds"[i]).ToArray());

    public Permissions On(string type)
    {
        if (!Enforced) return Permissions.All;
        if (_byType.TryGetValue(type, out var cached)) return cached;
        var result = Permissions.None;
        foreach (var scope in _scopes)
            if ((scope.Type == "*" || scope.Type == type) && (scope.Level != ScopeLevel.Patient || Patient is not null))
                result |= scope.Permissions;
        return _byType[type] = result;
    }

    public bool Allows(string type, Permissions needed) => (On(type) & needed) == needed;

    /// <summary>403 forbidden unless the scopes allow <paramref name="needed"/> on <paramref name="type"/>.</summary>
    public void Demand(string type, Permissions needed)
    {
        if (!Allows(type, needed))
            throw FhirException.Of(403, OperationOutcome.IssueType.Forbidden,
                $"The access token's scopes do not allow {string.Join(", ", Enum.GetValues<Permissions>().Where(p => p is not (Permissions.None or Permissions.All) && needed.HasFlag(p))).ToLowerInvariant()} on {type}");
    }

    /// <summary>403 unless the scopes allow something on at least one type (system-level interactions).</summary>
    public void DemandAny(Permissions anyOf)
    {
        if (Enforced && !ResourceTypes.Served.Any(t => (On(t) & anyOf) != 0))
            throw FhirException.Of(403, OperationOutcome.IssueType.Forbidden, "The access token's scopes allow this on no resource type");
    }

    /// <summary>
    /// The context's condition on resources of <paramref name="type"/>: null when nothing narrows it, an always-false
    /// condition when no resource of the type is in the context.
    /// </summary>
    public SearchExpression? Condition(string type)
    {
        if (!InContext) return null;
        if (_conditions.TryGetValue(type, out var cached)) return cached;
        return _conditions[type] = _rules!.Condition(type, Patient, Vendor);
    }

    /// <summary>
    /// A type-level query with the context's condition added, and chain and _has targets narrowed to what the token may
    /// search (a chain through data it may not see matches nothing, rather than telling whether that data exists).
    /// </summary>
    public SearchQuery Restrict(SearchQuery query)
    {
        if (!Enforced) return query;
        var filter = Narrow(query.Filter);
        if (query.ResourceType is { } type)
            return Condition(type) is { } condition ? (query with { Filter = filter }).Restrict(condition) : query with { Filter = filter };
        // System level: only the types the token may search, each within the context.
        var types = ResourceTypes.Served.Where(t => Allows(t, Permissions.Search)).Order(StringComparer.Ordinal).ToList();
        var restricted = query with { Filter = filter };
        if (types.Count == ResourceTypes.Served.Count && !InContext) return restricted;
        return restricted.Restrict(types.Count == 0 ? Nothing : new AnyOf(types
            .Select(t => Condition(t) is { } c ? new AllOf([new TypeCondition(t), c]) : (SearchExpression)new TypeCondition(t)).ToList()));
    }

    /// <summary>Matches nothing (both stores compile an empty id list to false).</summary>
    public static readonly SearchExpression Nothing = new IdCondition([]);

    private SearchExpression? Narrow(SearchExpression? e) => e switch
    {
        null => null,
        AllOf all => new AllOf(all.Operands.Select(o => Narrow(o)!).ToList()),
        AnyOf any => new AnyOf(any.Operands.Select(o => Narrow(o)!).ToList()),
        Not not => new Not(Narrow(not.Operand)!),
        ChainCondition chain => Allows(chain.TargetType, Permissions.Search)
            ? chain with { Target = With(Narrow(chain.Target)!, Condition(chain.TargetType)) }
            : Nothing,
        ReverseChainCondition has => Allows(has.SourceType, Permissions.Search)
            ? has with { Source = With(Narrow(has.Source)!, Condition(has.SourceType)) }
            : Nothing,
        _ => e,
    };

    private static SearchExpression With(SearchExpression e, SearchExpression? condition) => condition is null ? e : new AllOf([e, condition]);

    /// <summary>
    /// Of <paramref name="resources"/> (reads, history entries, included resources), those the token may see: its
    /// scopes allow reading their type and, in a context, their current version is in it (one query per type).
    /// Deleted resources in a context are not shown: their index is gone, so membership cannot be proven.
    /// </summary>
    public async Task<IReadOnlyList<StoredResource>> VisibleAsync(IReadOnlyList<StoredResource> resources, IFhirStore store, CancellationToken ct)
    {
        if (!Enforced || resources.Count == 0) return resources;
        var allowed = resources.Where(r => (On(r.Type) & (Permissions.Read | Permissions.Search)) != 0).ToList();
        if (!InContext) return allowed;
        var visible = new HashSet<(string, string)>();
        foreach (var group in allowed.GroupBy(r => r.Type))
        {
            var condition = Condition(group.Key);
            var ids = group.Select(r => r.Id).Distinct().ToList();
            if (condition is null) { foreach (var id in ids) visible.Add((group.Key, id)); continue; }
            if (ReferenceEquals(condition, Nothing)) continue;
            foreach (var chunk in ids.Chunk(500))
            {
                var page = await store.SearchAsync(new SearchQuery(group.Key, new AllOf([new IdCondition(chunk), condition]), [], chunk.Length, 0, TotalMode.None), ct);
                foreach (var m in page.Matches) visible.Add((m.Type, m.Id));
            }
        }
        return allowed.Where(r => visible.Contains((r.Type, r.Id))).ToList();
    }

    /// <summary>
    /// Checks the writes of one request (a single interaction's or every entry of a transaction) before they are
    /// committed: the scopes allow the interaction on the type (403), a resource replaced or deleted is one the token may
    /// see (404 as if it did not exist), and a resource written lands inside the context (403: a patient-context token
    /// cannot write into another patient's record, a vendor cannot write outside its members).
    /// </summary>
    public async Task AdmitAsync(IReadOnlyList<ResourceWrite> writes, IFhirStore store, CancellationToken ct)
    {
        if (!Enforced) return;
        foreach (var w in writes.Where(w => !w.IndexOnly))
        {
            Demand(w.Type, w.Method switch { "POST" => Permissions.Create, "DELETE" => Permissions.Delete, _ => Permissions.Update });
            if (!InContext) continue;
            if (w.ExpectedCurrentVersion > 0 && (await VisibleAsync([new StoredResource(w.Type, w.Id, w.ExpectedCurrentVersion, default, false, default)], store, ct)).Count == 0)
                throw FhirException.NotFound($"{w.Type}/{w.Id} is not known");
            if (!w.Deleted && !await HoldsAsync(Condition(w.Type), w.Type, w.Id, w.Index, store, ct))
                throw FhirException.Of(403, OperationOutcome.IssueType.Forbidden,
                    $"{w.Type}/{w.Id} would be outside what this access token may see ({(Patient is not null ? "its patient's compartment" : "the members and Tasks assigned to its vendor")})");
        }
    }

    /// <summary>
    /// Whether a resource about to be written (its id and index values) meets a context condition: local conditions by
    /// <see cref="IndexMatch"/>, chains and _has by asking the store about the resources they reach.
    /// </summary>
    private async Task<bool> HoldsAsync(SearchExpression? e, string type, string id, IReadOnlyList<IndexValue> index, IFhirStore store, CancellationToken ct)
    {
        switch (e)
        {
            case null: return true;
            case AllOf all:
                foreach (var o in all.Operands) if (!await HoldsAsync(o, type, id, index, store, ct)) return false;
                return true;
            case AnyOf any:
                foreach (var o in any.Operands) if (await HoldsAsync(o, type, id, index, store, ct)) return true;
                return false;
            case ChainCondition chain:
                var targets = index.OfType<ReferenceIndexValue>().Where(v => v.Param == chain.Param && v.TargetType == chain.TargetType && v.TargetId is not null)
                    .Select(v => v.TargetId!).Distinct().ToList();
                return targets.Count > 0 && await AnyAsync(store, chain.TargetType, new AllOf([new IdCondition(targets), chain.Target]), ct);
            case ReverseChainCondition has:
                return await AnyAsync(store, has.SourceType, new AllOf([new ReferenceCondition(has.Param, type, id, null), has.Source]), ct);
            default:
                return IndexMatch.Matches(e, id, index);
        }
    }

    private static async Task<bool> AnyAsync(IFhirStore store, string type, SearchExpression filter, CancellationToken ct) =>
        (await store.SearchAsync(new SearchQuery(type, filter, [], 1, 0, TotalMode.None), ct)).Matches.Count > 0;

    /// <summary>The current version of a resource, or null when it does not exist or is outside what the token may see.</summary>
    public async Task<StoredResource?> ReadAsync(IFhirStore store, string type, string id, CancellationToken ct) =>
        await store.ReadAsync(type, id, ct) is { } stored && await MayReadAsync(stored, store, ct) ? stored : null;

    public async Task<bool> MayReadAsync(StoredResource resource, IFhirStore store, CancellationToken ct) =>
        (await VisibleAsync([resource], store, ct)).Count == 1;

    /// <summary>The request's policy (built once per request from its principal and cached on it).</summary>
    public static AccessPolicy Of(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(AccessPolicy), out var cached) && cached is AccessPolicy policy) return policy;
        var rules = context.RequestServices.GetRequiredService<AccessRules>();
        policy = rules.Enabled ? rules.From(context.User) : Open;
        context.Items[typeof(AccessPolicy)] = policy;
        return policy;
    }
}

/// <summary>
/// Builds <see cref="AccessPolicy"/> objects and the context conditions. The vendor rule: a vendor Organization/x sees
/// the Tasks it owns (Task.owner), its members — patients with such a Task (Task.patient) or with a CarePlan whose care
/// team (CarePlan.care-team) has x as a participant — and those members' compartments except other owners' Tasks, and
/// its own Organization resource; nothing else, whatever its scopes.
/// </summary>
public sealed class AccessRules(Compartments compartments, SearchParameterRegistry registry, Microsoft.Extensions.Options.IOptions<SecurityOptions> options)
{
    public const string PatientClaim = "patient", VendorClaim = "fhircare_vendor", ClientClaim = "client_id", ScopeClaim = "scope";

    public bool Enabled => options.Value.IsEnabled;

    public AccessPolicy From(ClaimsPrincipal user)
    {
        var scopes = user.FindAll(ScopeClaim).Concat(user.FindAll("scp")).Select(c => c.Value);
        return From(string.Join(' ', scopes), user.FindFirst(PatientClaim)?.Value, user.FindFirst(VendorClaim)?.Value, user.FindFirst(ClientClaim)?.Value ?? user.FindFirst("azp")?.Value);
    }

    /// <param name="vendor">"Organization/x" or "x".</param>
    public AccessPolicy From(string scopes, string? patient, string? vendor, string? client) =>
        new(this, SmartScope.ParseAll([scopes]), Id(patient, "Patient"), Id(vendor, "Organization"), client);

    private static string? Id(string? reference, string type) =>
        string.IsNullOrEmpty(reference) ? null : reference.StartsWith(type + "/", StringComparison.Ordinal) ? reference[(type.Length + 1)..] : reference;

    internal SearchExpression Condition(string type, string? patient, string? vendor)
    {
        var conditions = new List<SearchExpression>();
        if (patient is not null) conditions.Add(compartments.Membership("Patient", patient, type) ?? AccessPolicy.Nothing);
        if (vendor is not null) conditions.Add(VendorCondition(type, vendor));
        return conditions.Count == 1 ? conditions[0] : conditions.Any(c => ReferenceEquals(c, AccessPolicy.Nothing)) ? AccessPolicy.Nothing : new AllOf(conditions);
    }

    private string Key(string type, string code) =>
        registry.Find(type, code)?.IndexKey ?? throw new InvalidOperationException($"The vendor rule needs the search parameter {type}.{code}");

    private SearchExpression OwnedTasks(string vendor) => new ReferenceCondition(Key("Task", "owner"), "Organization", vendor, null);

    private SearchExpression Members(string vendor) => new AnyOf([
        new ReverseChainCondition("Task", Key("Task", "patient"), OwnedTasks(vendor)),
        new ReverseChainCondition("CarePlan", Key("CarePlan", "patient"),
            new ChainCondition(Key("CarePlan", "care-team"), "CareTeam", new ReferenceCondition(Key("CareTeam", "participant"), "Organization", vendor, null))),
    ]);

    private SearchExpression VendorCondition(string type, string vendor) => type switch
    {
        "Task" => OwnedTasks(vendor),
        "Organization" => new IdCondition([vendor]),
        _ => compartments.Membership("Patient", type, Members(vendor), key => new ChainCondition(key, "Patient", Members(vendor))) ?? AccessPolicy.Nothing,
    };
}
