using System.Net;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Rest;

[Collection(ServerCollection.Name)]
public sealed class ConditionalTests(FhirServer server)
{
    /// <summary>An identifier system no other test uses, so criteria match only this test's patients.</summary>
    private static string UniqueSystem() => $"urn:fhircare:conditional:{Guid.NewGuid():N}";

    private static Patient NewPatient(string system, string family) => new()
    {
        Identifier = [new Identifier(system, "v1")],
        Name = [new HumanName { Family = family }],
    };

    private async Task<List<string>> CreateMatchesAsync(string system, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var reply = await server.Http().FhirAsync(HttpMethod.Post, "Patient", NewPatient(system, $"Existing{i}"));
            Assert.Equal(HttpStatusCode.Created, reply.Status);
            ids.Add(reply.As<Patient>().Id);
        }
        return ids;
    }

    private static string Criteria(string system) => Wire.Query(("identifier", $"{system}|v1"));

    private async Task<List<Patient>> SearchAsync(string system)
    {
        var reply = await server.Http().FhirGetAsync($"Patient?{Criteria(system)}");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.As<Bundle>().Entry.Select(e => e.Resource).OfType<Patient>().ToList();
    }

    [Theory]
    [InlineData(0, HttpStatusCode.Created, 1)]
    [InlineData(1, HttpStatusCode.OK, 0)]
    [InlineData(2, HttpStatusCode.PreconditionFailed, 0)]
    public async Task If_none_exist_creates_only_without_a_match(int existing, HttpStatusCode status, int created)
    {
        var system = UniqueSystem();
        var ids = await CreateMatchesAsync(system, existing);
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Post, "Patient", NewPatient(system, "Conditional"), ("If-None-Exist", Criteria(system)));

        Assert.Equal(status, reply.Status);
        var after = server.Fingerprint();
        Assert.Equal(before.Resources + created, after.Resources);
        Assert.Equal(before.Versions + created, after.Versions);
        Assert.Equal(existing + created, (await SearchAsync(system)).Count);
        switch (status)
        {
            case HttpStatusCode.Created:
                Assert.Equal("Conditional", reply.As<Patient>().Name[0].Family);
                break;
            case HttpStatusCode.OK:
                Assert.Equal(ids[0], reply.As<Patient>().Id);
                Assert.Equal("Existing0", reply.As<Patient>().Name[0].Family);
                Assert.Equal(before, after);
                break;
            default:
                Assert.NotEmpty(reply.As<OperationOutcome>().Issue);
                Assert.Equal(before, after);
                break;
        }
    }

    [Theory]
    [InlineData(0, HttpStatusCode.Created, "1")]
    [InlineData(1, HttpStatusCode.OK, "2")]
    public async Task Conditional_update_creates_or_updates_the_single_match(int existing, HttpStatusCode status, string version)
    {
        var system = UniqueSystem();
        var ids = await CreateMatchesAsync(system, existing);

        var reply = await server.Http().FhirAsync(HttpMethod.Put, $"Patient?{Criteria(system)}", NewPatient(system, "CondUpdated"));

        Assert.Equal(status, reply.Status);
        var written = reply.As<Patient>();
        Assert.Equal(version, written.Meta.VersionId);
        if (existing == 1) Assert.Equal(ids[0], written.Id);
        var matches = await SearchAsync(system);
        var match = Assert.Single(matches);
        Assert.Equal(written.Id, match.Id);
        Assert.Equal("CondUpdated", match.Name[0].Family);
        Assert.Equal(version, match.Meta.VersionId);
    }

    [Fact]
    public async Task Conditional_update_with_several_matches_is_412_and_changes_nothing()
    {
        var system = UniqueSystem();
        await CreateMatchesAsync(system, 2);
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Put, $"Patient?{Criteria(system)}", NewPatient(system, "CondUpdated"));

        Assert.Equal(HttpStatusCode.PreconditionFailed, reply.Status);
        Assert.NotEmpty(reply.As<OperationOutcome>().Issue);
        Assert.Equal(before, server.Fingerprint());
        Assert.All(await SearchAsync(system), p => Assert.Equal("1", p.Meta.VersionId));
    }

    [Theory]
    [InlineData(0, HttpStatusCode.NoContent, 0)]
    [InlineData(1, HttpStatusCode.NoContent, 1)]
    [InlineData(2, HttpStatusCode.PreconditionFailed, 0)]
    public async Task Conditional_delete_deletes_only_a_single_match(int existing, HttpStatusCode status, int deleted)
    {
        var system = UniqueSystem();
        var ids = await CreateMatchesAsync(system, existing);
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Delete, $"Patient?{Criteria(system)}");

        Assert.Equal(status, reply.Status);
        var after = server.Fingerprint();
        Assert.Equal(before.Resources, after.Resources);
        Assert.Equal(before.Versions + deleted, after.Versions);
        Assert.Equal(existing - deleted, (await SearchAsync(system)).Count);
        foreach (var id in ids)
        {
            var read = await server.Http().FhirGetAsync($"Patient/{id}");
            Assert.Equal(deleted == 1 ? HttpStatusCode.Gone : HttpStatusCode.OK, read.Status);
        }
        if (deleted == 0) Assert.Equal(before, after);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Criteria_with_an_unknown_parameter_are_refused_not_widened(string method)
    {
        var system = UniqueSystem();
        await CreateMatchesAsync(system, 1);
        var before = server.Fingerprint();
        var criteria = Wire.Query(("nonsense-param", "x"));

        var reply = method switch
        {
            "POST" => await server.Http().FhirAsync(HttpMethod.Post, "Patient", NewPatient(system, "Widened"), ("If-None-Exist", criteria)),
            "PUT" => await server.Http().FhirAsync(HttpMethod.Put, $"Patient?{criteria}", NewPatient(system, "Widened")),
            _ => await server.Http().FhirAsync(HttpMethod.Delete, $"Patient?{criteria}"),
        };

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("nonsense-param", reply.Body);
        Assert.Equal(before, server.Fingerprint());
    }
}
