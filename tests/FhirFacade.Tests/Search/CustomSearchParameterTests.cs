using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>A SearchParameter dropped into the profiles folder becomes searchable, and resources stored before it are re-indexed at start-up.</summary>
public sealed class CustomSearchParameterTests : IDisposable
{
    private const string TierUrl = "https://fhircare.org/fhir/StructureDefinition/member-risk-tier";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));

    private FhirServer Start(string profiles) => FhirServer.With(new Dictionary<string, string?>
    {
        ["Storage:Sqlite:Path"] = Path.Combine(_folder, "custom.db"),
        ["Search:ProfilesPath"] = profiles,
        ["Validation:Mode"] = "off", // the tier here is a Coding of a made-up system, not the guide's member-risk-tier (valueCode)
    });

    private static Patient Member(string tier) => new()
    {
        Extension = [new Extension(TierUrl, new Coding("https://fhircare.org/fhir/CodeSystem/risk-tier", tier))],
        Name = [new HumanName { Family = "Tiered" }],
    };

    private static async Task<List<string>> IdsAsync(FhirServer server, string query)
    {
        var reply = await server.Http().FhirGetAsync(query, ("Prefer", "handling=strict"));
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.As<Bundle>().Entry.Select(e => e.Resource.Id).Order().ToList();
    }

    [Fact]
    public async Task A_new_parameter_indexes_old_and_new_resources()
    {
        var profiles = Path.Combine(_folder, "profiles");
        Directory.CreateDirectory(profiles);
        string high, low;
        using (var before = Start(profiles))
        {
            high = (await before.Http().FhirAsync(HttpMethod.Post, "Patient", Member("high"))).As<Patient>().Id;
            low = (await before.Http().FhirAsync(HttpMethod.Post, "Patient", Member("low"))).As<Patient>().Id;
            var unknown = await before.Http().FhirGetAsync("Patient?member-tier=high", ("Prefer", "handling=strict"));
            Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        }

        var parameter = new SearchParameter
        {
            Id = "Patient-member-tier",
            Url = "https://fhircare.org/fhir/SearchParameter/Patient-member-tier",
            Name = "MemberTier",
            Status = PublicationStatus.Active,
            Description = "The member's risk tier",
            Code = "member-tier",
            Base = [ResourceType.Patient],
            Type = SearchParamType.Token,
            Expression = $"Patient.extension.where(url='{TierUrl}').value",
        };
        await File.WriteAllTextAsync(Path.Combine(profiles, "SearchParameter-member-tier.json"), new FhirJsonSerializer().SerializeToString(parameter));

        using var after = Start(profiles);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
            if ((await after.Http().GetStringAsync("health/ready")) == "Healthy") break;

        Assert.Equal([high], await IdsAsync(after, "Patient?member-tier=high"));
        var newer = (await after.Http().FhirAsync(HttpMethod.Post, "Patient", Member("low"))).As<Patient>().Id;
        Assert.Equal(new[] { low, newer }.Order(), await IdsAsync(after, "Patient?member-tier=https://fhircare.org/fhir/CodeSystem/risk-tier|low"));

        var statement = (await after.Http().FhirGetAsync("metadata")).As<CapabilityStatement>();
        var patient = statement.Rest[0].Resource.Single(r => r.Type == "Patient");
        Assert.Contains(patient.SearchParam, p => p.Name == "member-tier" && p.Definition == parameter.Url && p.Type == SearchParamType.Token);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
