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

    private static string ClientId() => "crud-" + Guid.NewGuid().ToString("N");

    private async Task<Patient> CreateAsync(string family)
    {
        var reply = await server.Http().FhirAsync(HttpMethod.Post, "Patient", NewPatient(family));
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return reply.As<Patient>();
    }

    private async Task<Reply> PutAsync(string id, string family)
    {
        var patient = NewPatient(family);
        patient.Id = id;
        return await server.Http().FhirAsync(HttpMethod.Put, $"Patient/{id}", patient);
    }

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
    public async Task Create_ignores_an_id_in_the_body()
    {
        var patient = NewPatient("CreateWithId");
        patient.Id = ClientId();
        var reply = await server.Http().FhirAsync(HttpMethod.Post, "Patient", patient);
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        Assert.NotEqual(patient.Id, reply.As<Patient>().Id);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http().FhirGetAsync($"Patient/{patient.Id}")).Status);
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

    [Fact]
    public async Task Update_writes_version_2_with_the_new_content()
    {
        var created = await CreateAsync("BeforeUpdate");

        var reply = await PutAsync(created.Id, "AfterUpdate");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var updated = reply.As<Patient>();
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("2", updated.Meta.VersionId);
        Assert.Equal("AfterUpdate", updated.Name[0].Family);
        Assert.True(updated.Meta.LastUpdated >= created.Meta.LastUpdated);
        Assert.Equal("W/\"2\"", reply.ETag);
        Assert.EndsWith($"/Patient/{created.Id}/_history/2", reply.Location);
    }

    [Theory]
    [InlineData(2, HttpStatusCode.OK)]
    [InlineData(1, HttpStatusCode.PreconditionFailed)]
    public async Task Update_honours_if_match(int ifMatch, HttpStatusCode status)
    {
        var id = (await CreateAsync("IfMatch1")).Id;
        await PutAsync(id, "IfMatch2");
        var patient = NewPatient("IfMatch3");
        patient.Id = id;
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Put, $"Patient/{id}", patient, ("If-Match", $"W/\"{ifMatch}\""));

        Assert.Equal(status, reply.Status);
        var current = (await server.Http().FhirGetAsync($"Patient/{id}")).As<Patient>();
        Assert.Equal(status == HttpStatusCode.OK ? "IfMatch3" : "IfMatch2", current.Name[0].Family);
        Assert.Equal(status == HttpStatusCode.OK ? "3" : "2", current.Meta.VersionId);
        if (status != HttpStatusCode.OK) Assert.Equal(before, server.Fingerprint());
    }

    [Fact]
    public async Task Update_as_create_with_a_client_id_answers_201_at_version_1()
    {
        var id = ClientId();

        var reply = await PutAsync(id, "UpdateAsCreate");

        Assert.Equal(HttpStatusCode.Created, reply.Status);
        var created = reply.As<Patient>();
        Assert.Equal(id, created.Id);
        Assert.Equal("1", created.Meta.VersionId);
        Assert.Equal("W/\"1\"", reply.ETag);
        Assert.EndsWith($"/Patient/{id}/_history/1", reply.Location);
        var read = await server.Http().FhirGetAsync($"Patient/{id}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal("UpdateAsCreate", read.As<Patient>().Name[0].Family);
    }

    [Fact]
    public async Task Read_after_update_returns_the_latest_version()
    {
        var created = await CreateAsync("ReadV1");
        await PutAsync(created.Id, "ReadV2");
        await PutAsync(created.Id, "ReadV3");

        var read = await server.Http().FhirGetAsync($"Patient/{created.Id}");

        Assert.Equal(HttpStatusCode.OK, read.Status);
        var patient = read.As<Patient>();
        Assert.Equal("ReadV3", patient.Name[0].Family);
        Assert.Equal("3", patient.Meta.VersionId);
        Assert.Equal("W/\"3\"", read.ETag);
    }

    [Fact]
    public async Task Vread_returns_each_version_as_it_was_written()
    {
        var id = (await CreateAsync("Vread1")).Id;
        await PutAsync(id, "Vread2");
        await PutAsync(id, "Vread3");

        for (var version = 1; version <= 3; version++)
        {
            var reply = await server.Http().FhirGetAsync($"Patient/{id}/_history/{version}");
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            var patient = reply.As<Patient>();
            Assert.Equal($"Vread{version}", patient.Name[0].Family);
            Assert.Equal(version.ToString(), patient.Meta.VersionId);
            Assert.Equal($"W/\"{version}\"", reply.ETag);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http().FhirGetAsync($"Patient/{id}/_history/4")).Status);
    }

    [Fact]
    public async Task Delete_answers_204_then_read_410_while_old_versions_stay_readable()
    {
        var id = (await CreateAsync("Delete1")).Id;
        await PutAsync(id, "Delete2");

        var delete = await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{id}");

        Assert.Equal(HttpStatusCode.NoContent, delete.Status);
        var read = await server.Http().FhirGetAsync($"Patient/{id}");
        Assert.Equal(HttpStatusCode.Gone, read.Status);
        Assert.Contains(read.As<OperationOutcome>().Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
        for (var version = 1; version <= 2; version++)
        {
            var vread = await server.Http().FhirGetAsync($"Patient/{id}/_history/{version}");
            Assert.Equal(HttpStatusCode.OK, vread.Status);
            Assert.Equal($"Delete{version}", vread.As<Patient>().Name[0].Family);
        }
    }

    [Fact]
    public async Task Deleting_a_deleted_resource_changes_nothing()
    {
        var id = (await CreateAsync("DeleteTwice")).Id;
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{id}")).Status);
        var before = server.Fingerprint();

        var again = await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{id}");

        Assert.True(again.Status is HttpStatusCode.NoContent or HttpStatusCode.OK, again.ToString());
        Assert.Equal(before, server.Fingerprint());
    }

    [Fact]
    public async Task Delete_of_a_resource_that_never_existed_succeeds_and_changes_nothing()
    {
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{ClientId()}");

        Assert.Equal(HttpStatusCode.NoContent, reply.Status);
        Assert.Equal(before, server.Fingerprint());
    }

    [Fact]
    public async Task Put_after_delete_recreates_the_resource_at_the_next_version()
    {
        var id = (await CreateAsync("Recreate1")).Id;
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{id}")).Status);
        Assert.Empty((await server.Http().FhirGetAsync($"Patient?_id={id}")).As<Bundle>().Entry);

        var reply = await PutAsync(id, "Recreate3");

        Assert.Equal(HttpStatusCode.Created, reply.Status);
        Assert.Equal("3", reply.As<Patient>().Meta.VersionId);
        Assert.Equal("W/\"3\"", reply.ETag);
        var read = await server.Http().FhirGetAsync($"Patient/{id}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal("Recreate3", read.As<Patient>().Name[0].Family);
        Assert.Equal("3", read.As<Patient>().Meta.VersionId);
        Assert.Equal(id, Assert.Single((await server.Http().FhirGetAsync($"Patient?_id={id}")).As<Bundle>().Entry).Resource.Id);
    }

    [Fact]
    public async Task Versions_increase_by_one_on_every_write()
    {
        var http = server.Http();
        var id = ClientId();
        var versions = new List<string?>
        {
            (await PutAsync(id, "Seq")).ETag,
            (await PutAsync(id, "Seq")).ETag,
            (await http.FhirAsync(HttpMethod.Delete, $"Patient/{id}")).ETag,
            (await PutAsync(id, "Seq")).ETag,
            (await http.FhirAsync(HttpMethod.Patch, $"Patient/{id}", """[{"op":"replace","path":"/gender","value":"male"}]""", Wire.JsonPatch)).ETag,
            (await PutAsync(id, "Seq")).ETag,
        };

        Assert.Equal(Enumerable.Range(1, 6).Select(v => $"W/\"{v}\""), versions);
        var stamps = new List<DateTimeOffset>();
        foreach (var v in new[] { 1, 2, 4, 5, 6 })
            stamps.Add((await http.FhirGetAsync($"Patient/{id}/_history/{v}")).As<Patient>().Meta.LastUpdated!.Value);
        Assert.Equal(stamps.Order(), stamps);
    }
}
