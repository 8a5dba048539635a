using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Measures;

/// <summary>Calls the measure operations over HTTP and reads their answers: the gap status each member has per measure.</summary>
public static class CareGapsClient
{
    public const string GapStatusUrl = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/extension-gapStatus";
    public const string AllStatuses = "status=open-gap&status=closed-gap&status=prospective-gap&status=not-applicable";

    public static async Task<Parameters> CareGapsAsync(this HttpClient http, string query, string path = "Measure/$care-gaps")
    {
        var reply = await http.FhirGetAsync($"{path}?{query}");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.As<Parameters>();
    }

    /// <summary>(patient id, measure title) → gap status, read from each document's Composition sections and DetectedIssues.</summary>
    public static Dictionary<(string Patient, string Measure), string> Gaps(Parameters parameters)
    {
        var gaps = new Dictionary<(string, string), string>();
        foreach (var bundle in parameters.Parameter.Where(p => p.Name == "return").Select(p => (Bundle)p.Resource))
        {
            var composition = (Composition)bundle.Entry[0].Resource;
            var patient = composition.Subject.Reference["Patient/".Length..];
            foreach (var section in composition.Section)
            {
                var issue = (DetectedIssue)Resolve(bundle, section.Entry.Single().Reference);
                gaps[(patient, section.Title)] = Status(issue);
            }
        }
        return gaps;
    }

    public static string Status(DetectedIssue issue) =>
        ((CodeableConcept)issue.ModifierExtension.Single(e => e.Url == GapStatusUrl).Value).Coding.Single().Code;

    /// <summary>A relative reference inside a document resolves against the entries' fullUrls (bundle.html#references).</summary>
    public static Resource Resolve(Bundle bundle, string reference) =>
        bundle.Entry.Single(e => e.FullUrl.EndsWith("/" + reference, StringComparison.Ordinal)).Resource;

    public static async Task PutAsync(this HttpClient http, params Resource[] resources)
    {
        foreach (var r in resources)
        {
            var reply = await http.FhirAsync(HttpMethod.Put, $"{r.TypeName}/{r.Id}", r);
            Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.Created, reply.ToString());
        }
    }

    public static Patient Patient(string id, string birthDate, AdministrativeGender gender = AdministrativeGender.Female) =>
        new() { Id = id, BirthDate = birthDate, Gender = gender, Name = [new HumanName { Family = "Member", Given = [id] }] };

    public static Encounter OfficeVisit(string id, string patient, string date) => new()
    {
        Id = id, Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
        Type = [new CodeableConcept("http://www.ama-assn.org/go/cpt", "99213")], Subject = new ResourceReference($"Patient/{patient}"),
        Period = new Period { Start = date, End = date },
    };

    public static Observation Mammogram(string id, string patient, string date, ObservationStatus status = ObservationStatus.Final) => new()
    {
        Id = id, Status = status, Code = new CodeableConcept("http://loinc.org", "24606-6", "MG Breast Screening"),
        Subject = new ResourceReference($"Patient/{patient}"), Effective = new FhirDateTime(date),
    };

    public static Procedure Colonoscopy(string id, string patient, string date) => new()
    {
        Id = id, Status = EventStatus.Completed, Code = new CodeableConcept("http://snomed.info/sct", "73761001", "Colonoscopy"),
        Subject = new ResourceReference($"Patient/{patient}"), Performed = new FhirDateTime(date),
    };
}
