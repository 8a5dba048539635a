using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Patients' records: the resources in their Patient compartments (compartmentdefinition-patient.html), one type
/// at a time and a page at a time, straight from the store's search (keyset cursors, nothing held in memory).
/// Shared by Patient/$everything and the Patient and Group levels of $export.
/// </summary>
public sealed class PatientRecords(IFhirStore store, Compartments compartments)
{
    /// <summary>How many patients' compartments one query covers (an OR of their membership conditions).</summary>
    public const int PatientsPerQuery = 50;

    /// <summary>Patient, then every type that can be in a Patient compartment.</summary>
    public IReadOnlyList<string> CompartmentTypes => field ??= compartments.TypesIn("Patient");

    /// <summary>
    /// The types of a patient's record when none are asked for: the compartment's, except AuditEvent. The server's
    /// own log of who read the record is not part of it (every $everything would add to it); `_type=AuditEvent` asks.
    /// </summary>
    public IReadOnlyList<string> Types => field ??= CompartmentTypes.Where(t => t != "AuditEvent").ToList();

    /// <summary>
    /// One page of <paramref name="type"/> resources in the compartment of any of <paramref name="patientIds"/>
    /// (at most <see cref="PatientsPerQuery"/>), also matching <paramref name="filter"/>; with the resources they
    /// reference when <paramref name="withReferenced"/>.
    /// </summary>
    /// <param name="access">When given, only what it lets the request see: types it may read, within its context.</param>
    public async Task<SearchPage> PageAsync(string type, IReadOnlyList<string> patientIds, SearchExpression? filter, string? cursor, int count,
        bool withReferenced, CancellationToken ct, Security.AccessPolicy? access = null)
    {
        var membership = patientIds.Select(id => compartments.Membership("Patient", id, type)).OfType<SearchExpression>().ToList();
        var empty = new SearchPage([], [], null, null, null);
        if (membership.Count == 0) return empty;
        if (access is { Enforced: true })
        {
            if ((access.On(type) & (Security.Permissions.Read | Security.Permissions.Search)) == 0) return empty;
            if (access.Condition(type) is { } context) filter = filter is null ? context : new AllOf([filter, context]);
        }
        SearchExpression condition = membership.Count == 1 ? membership[0] : new AnyOf(membership);
        var query = new SearchQuery(type, filter is null ? condition : new AllOf([condition, filter]), [], count, 0, TotalMode.None)
        {
            Cursor = cursor,
            Includes = withReferenced ? [new IncludeSpec(false, type, null, null, false)] : [],
        };
        var page = await store.SearchAsync(query, ct);
        return access is { Enforced: true } && page.Included.Count > 0 ? page with { Included = await access.VisibleAsync(page.Included, store, ct) } : page;
    }

    /// <summary>Every stored, current patient id, a page at a time (for type-level $everything and Patient-level $export).</summary>
    public async IAsyncEnumerable<IReadOnlyList<string>> AllPatientIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        string? after = null;
        while (true)
        {
            var page = await store.ScanAsync("Patient", after, PatientsPerQuery, ct);
            if (page.Count == 0) yield break;
            yield return page.Select(p => p.Id).ToList();
            after = page[^1].Id;
        }
    }
}
