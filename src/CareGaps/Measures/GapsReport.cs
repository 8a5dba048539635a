using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>Who reports and when: the reporting Organization (Composition.author, MeasureReport.reporter).</summary>
public sealed record ReportContext(string BaseUrl, Organization Reporter, DateTimeOffset Now)
{
    public ResourceReference ReporterReference => new($"Organization/{Reporter.Id}");
}

/// <summary>
/// The Da Vinci DEQM Gaps in Care document for one member (DEQM STU5 gaps-bundle-deqm): a Composition (LOINC
/// 96315-7) with one section per measure, a DetectedIssue (CAREGAP, gap status in the extension-gapStatus
/// modifierExtension) per reported gap pointing at its individual MeasureReport, the MeasureReports, the evidence
/// they name, the Patient and the reporting Organization.
/// </summary>
public static class GapsReport
{
    public const string BundleProfile = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/gaps-bundle-deqm";
    public const string CompositionProfile = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/gaps-composition-deqm";
    public const string DetectedIssueProfile = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/gaps-detectedissue-deqm";
    public const string GapStatusExtension = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/extension-gapStatus";

    /// <summary>The member's document, or null when none of their results has one of the requested statuses.</summary>
    public static Bundle? Build(Member member, IReadOnlyList<MeasureResult> results, IReadOnlySet<GapStatus> statuses, ReportContext context)
    {
        var reported = results.Where(r => statuses.Contains(r.GapStatus)).ToList();
        if (reported.Count == 0) return null;
        var patientRef = $"Patient/{member.Id}";
        var composition = new Composition
        {
            Id = NewId(),
            Meta = new Meta { Profile = [CompositionProfile] },
            Status = CompositionStatus.Final,
            Type = new CodeableConcept("http://loinc.org", "96315-7", "Gaps in care report"),
            Subject = new ResourceReference(patientRef),
            Date = context.Now.ToString("yyyy-MM-ddTHH:mm:sszzz"),
            Author = [context.ReporterReference],
            Title = $"Care Gap Report for {Name(member.Patient)}",
        };
        var entries = new List<Resource> { composition };
        var issues = new List<Resource>();
        var evidence = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var result in reported)
        {
            var report = MeasureReports.Individual(result, NewId(), context.ReporterReference, context.Now);
            var issue = new DetectedIssue
            {
                Id = NewId(),
                Meta = new Meta { Profile = [DetectedIssueProfile] },
                ModifierExtension = [new Extension(GapStatusExtension, new CodeableConcept(GapStatusCodes.System, result.GapStatus.Code()))],
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "CAREGAP", "Care Gaps"),
                Patient = new ResourceReference(patientRef),
                Identified = new Period { Start = result.Period.Start.ToString("yyyy-MM-dd"), End = result.Period.End.ToString("yyyy-MM-dd") },
                Evidence = [new DetectedIssue.EvidenceComponent { Detail = [new ResourceReference($"MeasureReport/{report.Id}")] }],
            };
            composition.Section.Add(new Composition.SectionComponent
            {
                Title = result.Measure.Title,
                Focus = new ResourceReference($"MeasureReport/{report.Id}"),
                Entry = [new ResourceReference($"DetectedIssue/{issue.Id}")],
            });
            entries.Add(report);
            issues.Add(issue);
            foreach (var (resource, _) in result.EvaluatedResources)
                if (resource is not Patient) evidence.TryAdd($"{resource.TypeName}/{resource.Id}", resource);
        }
        entries.AddRange(issues);
        entries.AddRange(evidence.Values);
        entries.Add(member.Patient);
        entries.Add(context.Reporter);
        return new Bundle
        {
            Id = NewId(),
            Meta = new Meta { Profile = [BundleProfile] },
            Identifier = new Identifier("urn:ietf:rfc:3986", $"urn:uuid:{Guid.NewGuid()}"),
            Type = Bundle.BundleType.Document,
            Timestamp = context.Now,
            Entry = entries.Select(r => new Bundle.EntryComponent { FullUrl = $"{context.BaseUrl}/{r.TypeName}/{r.Id}", Resource = r }).ToList(),
        };
    }

    private static string NewId() => Guid.CreateVersion7().ToString();

    private static string Name(Patient patient) =>
        patient.Name.FirstOrDefault() is { } n && (n.Given.Any() || n.Family is not null)
            ? string.Join(' ', n.Given.Append(n.Family).Where(s => !string.IsNullOrEmpty(s)))
            : $"patient {patient.Id}";
}
