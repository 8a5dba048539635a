using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// MeasureReports (measurereport.html): the individual report of one member (the DEQM Individual MeasureReport
/// profile, evidence in evaluatedResource with cqf-criteriaReference) and the codes shared with summary reports.
/// </summary>
public static class MeasureReports
{
    public const string IndividualProfile = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/indv-measurereport-deqm";
    public const string ScoringExtension = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/extension-measureScoring";
    public const string CriteriaReferenceExtension = "http://hl7.org/fhir/StructureDefinition/cqf-criteriaReference";
    private const string PopulationSystem = "http://terminology.hl7.org/CodeSystem/measure-population";

    private static readonly Dictionary<string, string> Displays = new(StringComparer.Ordinal)
    {
        ["initial-population"] = "Initial Population", ["denominator"] = "Denominator",
        ["denominator-exclusion"] = "Denominator Exclusion", ["denominator-exception"] = "Denominator Exception",
        ["numerator"] = "Numerator", ["numerator-exclusion"] = "Numerator Exclusion",
    };

    public static MeasureReport Individual(MeasureResult result, string id, ResourceReference reporter, DateTimeOffset now)
    {
        var report = Shell(result.Measure, result.Period, MeasureReport.MeasureReportType.Individual, reporter, now);
        report.Id = id;
        report.Meta = new Meta { Profile = [IndividualProfile] };
        report.Subject = new ResourceReference($"Patient/{result.Member.Id}");
        var group = report.Group[0];
        foreach (var (code, inIt) in result.Populations) group.Population.Add(Population(code, inIt ? 1 : 0));
        group.MeasureScore = Score(result.In("denominator") ? 1 : 0, result.In("denominator-exclusion") || result.In("denominator-exception") ? 1 : 0, result.In("numerator") ? 1 : 0);
        foreach (var (resource, populations) in result.EvaluatedResources)
            report.EvaluatedResource.Add(new ResourceReference($"{resource.TypeName}/{resource.Id}")
            {
                Extension = populations.Select(p => new Extension(CriteriaReferenceExtension, new FhirString(p))).ToList(),
            });
        return report;
    }

    /// <summary>A report with the measure's identity, period, scoring and one empty group; the caller fills the group.</summary>
    internal static MeasureReport Shell(MeasureDefinition measure, MeasurementPeriod period, MeasureReport.MeasureReportType type, ResourceReference reporter, DateTimeOffset now) => new()
    {
        Extension = [new Extension(ScoringExtension, measure.Measure.Scoring)],
        Status = MeasureReport.MeasureReportStatus.Complete,
        Type = type,
        Measure = measure.Measure.Version is { Length: > 0 } v ? $"{measure.Url}|{v}" : measure.Url,
        Date = now.ToString("yyyy-MM-ddTHH:mm:sszzz"),
        Reporter = reporter,
        Period = new Period { Start = period.Start.ToString("yyyy-MM-dd"), End = period.End.ToString("yyyy-MM-dd") },
        ImprovementNotation = measure.Measure.ImprovementNotation,
        Group = [new MeasureReport.GroupComponent { ElementId = measure.GroupId }],
    };

    internal static MeasureReport.PopulationComponent Population(string code, int count) => new()
    {
        Code = new CodeableConcept(PopulationSystem, code, Displays.GetValueOrDefault(code, code)),
        Count = count,
    };

    /// <summary>Proportion score (measure.html#scoring): numerator / (denominator − exclusions − exceptions); none when that is 0.</summary>
    internal static Quantity? Score(int denominator, int removed, int numerator) =>
        denominator - removed is > 0 and var d ? new Quantity { Value = Math.Round((decimal)numerator / d, 4) } : null;
}
