using System.Collections.Frozen;
using System.Text;
using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Feeds the measure library from the store: members a page at a time (memory stays flat in the number of members)
/// and each member's record: the resources of the types the measures read, from the member's Patient compartment
/// (the same membership rule as GET Patient/[id]/[type]).
/// </summary>
public sealed class MemberRecords(Compartments compartments)
{
    private static readonly FhirJsonDeserializer Trusted = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    /// <summary>
    /// Parses stored resources in parallel without validation (the SDK's "Ostrich" mode, about twice as fast here):
    /// they were validated when they were written, and parsing is most of the cost of reading records.
    /// </summary>
    public static Resource[] ParseTrusted(IReadOnlyList<StoredResource> stored, CancellationToken ct)
    {
        var parsed = new Resource[stored.Count];
        Parallel.For(0, stored.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            var reader = new System.Text.Json.Utf8JsonReader(stored[i].Json.Span);
            parsed[i] = Trusted.DeserializeResource(ref reader);
        });
        return parsed;
    }

    public const int PageSize = 64;

    public async IAsyncEnumerable<IReadOnlyList<Patient>> PagesAsync(IFhirStore store, MemberScope scope, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        switch (scope)
        {
            case MemberScope.OnePatient one:
                yield return [one.Patient];
                break;
            case MemberScope.GroupMembers group:
                // Group.member.entity references Patients (nested Groups and other types are not members); inactive ones are left out.
                var ids = group.Group.Member.Where(m => m.Inactive != true).Select(m => m.Entity?.Reference)
                    .OfType<string>().Where(r => r.StartsWith("Patient/", StringComparison.Ordinal)).Select(r => r[8..]).Distinct().ToList();
                foreach (var chunk in ids.Chunk(PageSize))
                {
                    var page = new List<Patient>(chunk.Length);
                    foreach (var id in chunk)
                        if (await store.ReadAsync("Patient", id, ct) is { Deleted: false } stored && FhirResponses.ParseStored(stored) is Patient p) page.Add(p);
                    if (page.Count > 0) yield return page;
                }
                break;
            case MemberScope.Patients patients:
                var query = new SearchQuery("Patient", patients.Filter, [], PageSize, 0, TotalMode.None);
                while (true)
                {
                    var page = await store.SearchAsync(query, ct);
                    if (page.Matches.Count > 0) yield return page.Matches.Select(m => (Patient)FhirResponses.ParseStored(m)).ToList();
                    if (page.Next is null) yield break;
                    query = query with { Cursor = page.Next };
                }
        }
    }

    /// <summary>
    /// The members of a page with the resources of their records that <paramref name="wanted"/> may use: one search
    /// per type for the whole page (the OR of the members' compartment conditions, each driven by reference index
    /// rows), the types searched concurrently. A resource belongs to each member of the page it references.
    /// </summary>
    public async Task<IReadOnlyList<Member>> LoadAsync(IFhirStore store, IReadOnlyList<Patient> page, RecordFilter wanted, CancellationToken ct)
    {
        var records = page.ToDictionary(p => p.Id, _ => new List<Resource>(), StringComparer.Ordinal);
        var found = await Task.WhenAll(wanted.Types.Select(async type =>
        {
            var conditions = page.Select(p => compartments.Membership("Patient", p.Id, type)).OfType<SearchExpression>().ToList();
            var matches = new List<StoredResource>();
            if (conditions.Count == 0) return matches;
            await foreach (var stored in MeasureLoader.Pages(store, new SearchQuery(type, conditions.Count == 1 ? conditions[0] : new AnyOf(conditions), [], 1000, 0, TotalMode.None), ct))
                if (wanted.MayMatter(stored)) matches.Add(stored);
            return matches;
        }));
        var relevant = found.SelectMany(f => f).ToList();
        var parsed = ParseTrusted(relevant, ct);
        for (var i = 0; i < relevant.Count; i++)
            foreach (var patient in RecordFilter.PatientsReferenced(relevant[i]))
                if (records.TryGetValue(patient, out var list)) list.Add(parsed[i]);
        return page.Select(p => new Member(p, records[p.Id])).ToList();
    }
}

/// <summary>
/// What a set of measures reads: per resource type, the codes any of their criteria look for. A stored resource that
/// mentions none of its type's codes cannot match a criterion, so it is not parsed at all (parsing is the cost of
/// evaluation). The check reads the stored JSON's <c>"code":"…"</c> values; a false positive only costs a parse.
/// </summary>
public sealed class RecordFilter
{
    private readonly FrozenDictionary<string, FrozenSet<string>> _codes;

    public RecordFilter(IEnumerable<MeasureDefinition> measures)
    {
        _codes = measures.SelectMany(m => m.DataRequirements)
            .GroupBy(r => r.ResourceType)
            .ToFrozenDictionary(g => g.Key, g => g.SelectMany(r => r.Codes.Codes.Select(c => c.Code)).ToFrozenSet(StringComparer.Ordinal));
    }

    public IEnumerable<string> Types => _codes.Keys;

    private static readonly byte[] CodeKey = "\"code\":\""u8.ToArray();
    private static readonly byte[] PatientKey = "\"reference\":\"Patient/"u8.ToArray();

    public bool MayMatter(StoredResource stored) =>
        _codes.TryGetValue(stored.Type, out var codes) && Values(stored.Json, CodeKey).Any(codes.Contains);

    /// <summary>The ids of the Patients a stored resource references (its compartment memberships, read from the JSON).</summary>
    public static IEnumerable<string> PatientsReferenced(StoredResource stored) => Values(stored.Json, PatientKey).Distinct();

    /// <summary>Each string value that follows <paramref name="key"/> in the stored (compact, server-serialised) JSON.</summary>
    private static IEnumerable<string> Values(ReadOnlyMemory<byte> json, byte[] key)
    {
        var offset = 0;
        while (true)
        {
            var rest = json.Span[offset..];
            var at = rest.IndexOf(key);
            if (at < 0) yield break;
            var start = at + key.Length;
            var end = rest[start..].IndexOf((byte)'"');
            if (end < 0) yield break;
            yield return Encoding.UTF8.GetString(rest.Slice(start, end));
            offset += start + end;
        }
    }
}
