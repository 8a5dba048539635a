using System.Collections.Frozen;
using System.Text;
using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Feeds the measure library from the store: members a page at a time (memory stays flat in the number of members)
/// and each member's record: the resources of the types the measures read, from the member's Patient compartment
/// (the same membership rule as GET Patient/[id]/[type]), in one search across those types.
/// </summary>
public sealed class MemberRecords(Compartments compartments)
{
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

    /// <summary>The member with the resources of their record that <paramref name="wanted"/> may use.</summary>
    public async Task<Member> LoadAsync(IFhirStore store, Patient patient, RecordFilter wanted, CancellationToken ct)
    {
        var perType = new List<SearchExpression>();
        foreach (var type in wanted.Types)
            if (compartments.Membership("Patient", patient.Id, type) is { } membership)
                perType.Add(new AllOf([new TypeCondition(type), membership]));
        var record = new List<Resource>();
        if (perType.Count > 0)
            await foreach (var stored in MeasureLoader.Pages(store, new SearchQuery(null, new AnyOf(perType), [], 1000, 0, TotalMode.None), ct))
                if (wanted.MayMatter(stored)) record.Add(FhirResponses.ParseStored(stored));
        return new Member(patient, record);
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

    public bool MayMatter(StoredResource stored)
    {
        if (!_codes.TryGetValue(stored.Type, out var codes)) return false;
        var json = stored.Json.Span;
        while (true)
        {
            var at = json.IndexOf(CodeKey);
            if (at < 0) return false;
            json = json[(at + CodeKey.Length)..];
            var end = json.IndexOf((byte)'"');
            if (end < 0) return false;
            if (codes.Contains(Encoding.UTF8.GetString(json[..end]))) return true;
            json = json[end..];
        }
    }
}
