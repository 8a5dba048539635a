using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Guide;

/// <summary>Artefacts in the profiles folder are served as resources; unchanged ones keep their version across restarts.</summary>
public sealed class GuidePublisherTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));
    private string Profiles => Path.Combine(_folder, "profiles");

    private FhirServer Start() => FhirServer.With(new Dictionary<string, string?>
    {
        ["Storage:Sqlite:Path"] = Path.Combine(_folder, "guide.db"),
        ["Search:ProfilesPath"] = Profiles,
    });

    private static ValueSet Stages(string title) => new()
    {
        Id = "trust-stage", Url = "https://fhircare.org/fhir/ValueSet/trust-stage", Status = PublicationStatus.Draft, Title = title,
    };

    private void Write(string relative, Resource resource)
    {
        var path = Path.Combine(Profiles, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, new FhirJsonSerializer().SerializeToString(resource));
    }

    [Fact]
    public async Task Artefacts_are_served_and_versioned_only_when_they_change()
    {
        Write("ValueSet-trust-stage.json", Stages("Trust stages"));
        Write("measures/bundle.json", new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Entry = [new() { Resource = new Library { Id = "lib-a", Status = PublicationStatus.Draft, Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/library-type", "logic-library") } }],
        });
        Write("examples/Patient-example.json", new Patient { Id = "example-member" });

        using (var first = Start())
        {
            var read = await first.Http().FhirGetAsync("ValueSet/trust-stage");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal("Trust stages", read.As<ValueSet>().Title);
            Assert.Equal("1", read.As<ValueSet>().Meta.VersionId);
            Assert.Equal(HttpStatusCode.OK, (await first.Http().FhirGetAsync("Library/lib-a")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await first.Http().FhirGetAsync("Patient/example-member")).Status);
            var byUrl = await first.Http().FhirGetAsync("ValueSet?url=https://fhircare.org/fhir/ValueSet/trust-stage");
            Assert.Single(byUrl.As<Bundle>().Entry);
        }

        using (var unchanged = Start())
            Assert.Equal("1", (await unchanged.Http().FhirGetAsync("ValueSet/trust-stage")).As<ValueSet>().Meta.VersionId);

        Write("ValueSet-trust-stage.json", Stages("The five trust stages"));
        using var changed = Start();
        var now = (await changed.Http().FhirGetAsync("ValueSet/trust-stage")).As<ValueSet>();
        Assert.Equal("2", now.Meta.VersionId);
        Assert.Equal("The five trust stages", now.Title);
        Assert.Equal("1", (await changed.Http().FhirGetAsync("Library/lib-a")).As<Library>().Meta.VersionId);
    }

    [Fact]
    public void An_artefact_without_id_stops_start_up_naming_the_file()
    {
        Write("broken/ValueSet-no-id.json", new ValueSet { Url = "https://fhircare.org/fhir/ValueSet/x", Status = PublicationStatus.Draft });
        var error = Assert.ThrowsAny<Exception>(() => Start());
        Assert.Contains("ValueSet-no-id.json", error.ToString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
