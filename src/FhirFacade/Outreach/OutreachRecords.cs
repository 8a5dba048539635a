using FhirCare.CareGaps.Outreach;
using FhirCare.CareGaps.Trust;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>
/// Reads the outreach side of members' records for the trust and scorecard logic, a page of members at a time: one
/// search per type for the whole page (the OR of the members' references through the parameter below), the types
/// searched concurrently, then parsed as <see cref="MemberRecords.ParseTrusted"/> does.
/// </summary>
public sealed class OutreachRecords(SearchParameterRegistry registry)
{
    /// <summary>The reference parameter that ties each type to the member (Task is not in the Patient compartment).</summary>
    private static readonly Dictionary<string, string> MemberParameter = new()
    {
        ["Communication"] = "subject",
        ["Task"] = "patient",
        ["CarePlan"] = "subject",
        ["EpisodeOfCare"] = "patient",
        ["Appointment"] = "patient",
        ["Consent"] = "patient",
        ["DetectedIssue"] = "patient",
        ["Coverage"] = "beneficiary",
        ["Observation"] = "subject",
    };

    public static readonly string[] TrustTypes = ["Communication", "Task", "CarePlan", "EpisodeOfCare", "Appointment", "Consent", "DetectedIssue"];
    public static readonly string[] ScorecardTypes = ["Communication", "Task", "CarePlan", "EpisodeOfCare", "Coverage", "Observation"];

    /// <summary>Per member id, the resources of <paramref name="types"/> that reference them (Observations: trust-stage changes only).</summary>
    public async Task<IReadOnlyDictionary<string, List<Resource>>> LoadAsync(IFhirStore store, IReadOnlyCollection<string> memberIds, IReadOnlyList<string> types, CancellationToken ct)
    {
        var records = memberIds.Distinct().ToDictionary(id => id, _ => new List<Resource>(), StringComparer.Ordinal);
        var found = await Task.WhenAll(types.Select(async type =>
        {
            var key = registry.Find(type, MemberParameter[type])!.IndexKey;
            var conditions = records.Keys.Select(id => (SearchExpression)new ReferenceCondition(key, "Patient", id, null)).ToList();
            SearchExpression filter = conditions.Count == 1 ? conditions[0] : new AnyOf(conditions);
            if (type == "Observation")
                filter = new AllOf([filter, new TokenCondition(registry.Find("Observation", "code")!.IndexKey, OutreachCodes.TopicSystem, TrustStageCodes.ChangeCode)]);
            var matches = new List<StoredResource>();
            await foreach (var stored in MeasureLoader.Pages(store, new SearchQuery(type, filter, [], 1000, 0, TotalMode.None), ct)) matches.Add(stored);
            return matches;
        }));
        var relevant = found.SelectMany(f => f).ToList();
        var parsed = MemberRecords.ParseTrusted(relevant, ct);
        for (var i = 0; i < relevant.Count; i++)
            foreach (var patient in RecordFilter.PatientsReferenced(relevant[i]))
                if (records.TryGetValue(patient, out var list)) list.Add(parsed[i]);
        return records;
    }
}
