using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCare.FhirFacade.Tests.Rest;

[Collection(ServerCollection.Name)]
public sealed class CrudTests(FhirServer server)
{
    private static Patient NewPatient(string family) => new()
    {
        Name = [new HumanName { Family = family, Given = ["Ann"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-02-03",
    };

    [Fact]
    public async Task Create_assigns_id_version_and_headers()
    {
        var client = server.Client();
        var created = await client.CreateAsync(NewPatient("Create"));
        Assert.NotNull(created!.Id);
        Assert.Equal("1", created.Meta.VersionId);
        Assert.NotNull(created.Meta.LastUpdated);
        Assert.Equal(HttpStatusCode.Created.ToString("D"), client.LastResult!.Status.Split(' ')[0]);
        Assert.EndsWith($"/Patient/{created.Id}/_history/1", client.LastResult.Location);
        Assert.Equal("W/\"1\"", client.LastResult.Etag);
    }

    [Fact]
    public async Task Read_returns_what_was_created()
    {
        var client = server.Client();
        var created = await client.CreateAsync(NewPatient("Read"));
        var read = await client.ReadAsync<Patient>($"Patient/{created!.Id}");
        Assert.Equal("Read", read!.Name[0].Family);
        Assert.Equal(created.Meta.VersionId, read.Meta.VersionId);
    }
}
