using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>Versioning headers (http.html#versioning, #cread) and the Prefer header on writes (http.html#ops).</summary>
[Collection(ServerCollection.Name)]
public sealed class HeaderTests(FhirServer server)
{
    private static readonly FhirJsonDeserializer Deserializer = new();
    private static readonly FhirJsonSerializer Serializer = new();
    private const string JsonPatchGenderMale = """[{"op":"replace","path":"/gender","value":"male"}]""";

    private static Patient NewPatient(string family, string? id = null) => new()
    {
        Id = id,
        Name = [new HumanName { Family = family, Given = ["Ann"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-02-03",
    };

    private async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpMethod method, string url,
        string? body = null, string contentType = "application/fhir+json", Action<HttpRequestMessage>? headers = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        headers?.Invoke(request);
        var response = await server.Http().SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private Task<(HttpResponseMessage Response, string Body)> CreateAsync(Patient patient, Action<HttpRequestMessage>? headers = null) =>
        SendAsync(HttpMethod.Post, "Patient", Serializer.SerializeToString(patient), headers: headers);

    private async Task<Patient> CreatedAsync(string family)
    {
        var (response, body) = await CreateAsync(NewPatient(family));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Assert.IsType<Patient>(Deserializer.DeserializeResource(body));
    }

    private static void AssertVersionHeaders(HttpResponseMessage response, Resource resource, int version)
    {
        Assert.Equal(version.ToString(), resource.Meta?.VersionId);
        Assert.NotNull(resource.Meta?.LastUpdated);
        Assert.Equal($"W/\"{version}\"", response.Headers.ETag?.ToString());
        Assert.True(response.Headers.ETag!.IsWeak);
        var lastModified = response.Content.Headers.LastModified;
        Assert.NotNull(lastModified);
        var expected = resource.Meta!.LastUpdated!.Value;
        Assert.Equal(expected.ToUnixTimeSeconds(), lastModified.Value.ToUnixTimeSeconds());
    }

    private void AssertLocation(HttpResponseMessage response, string? id, int version)
    {
        Assert.NotNull(id);
        var location = response.Headers.Location;
        Assert.NotNull(location);
        Assert.Equal(new Uri(server.BaseAddress, $"Patient/{id}/_history/{version}"), new Uri(server.BaseAddress, location));
    }

    [Fact]
    public async Task Create_sets_meta_etag_last_modified_and_location()
    {
        var (response, body) = await CreateAsync(NewPatient("HeaderCreate"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = Deserializer.DeserializeResource(body);
        AssertVersionHeaders(response, created, 1);
        AssertLocation(response, created.Id, 1);
        Assert.InRange(created.Meta.LastUpdated!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Update_advances_version_and_headers()
    {
        var created = await CreatedAsync("HeaderUpdate");
        created.Gender = AdministrativeGender.Other;
        var (response, body) = await SendAsync(HttpMethod.Put, $"Patient/{created.Id}", Serializer.SerializeToString(created));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = Deserializer.DeserializeResource(body);
        AssertVersionHeaders(response, updated, 2);
        AssertLocation(response, created.Id, 2);
        Assert.True(updated.Meta.LastUpdated >= created.Meta.LastUpdated);
    }

    [Fact]
    public async Task Update_as_create_answers_201_with_version_1_headers()
    {
        var id = $"hdr-{Guid.NewGuid():N}";
        var (response, body) = await SendAsync(HttpMethod.Put, $"Patient/{id}", Serializer.SerializeToString(NewPatient("HeaderPutCreate", id)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = Deserializer.DeserializeResource(body);
        Assert.Equal(id, created.Id);
        AssertVersionHeaders(response, created, 1);
        AssertLocation(response, id, 1);
    }

    [Fact]
    public async Task Read_carries_the_same_etag_and_last_modified_as_meta()
    {
        var created = await CreatedAsync("HeaderRead");
        var (response, body) = await SendAsync(HttpMethod.Get, $"Patient/{created.Id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = Deserializer.DeserializeResource(body);
        AssertVersionHeaders(response, read, 1);
        Assert.Equal(created.Meta.LastUpdated, read.Meta.LastUpdated);
    }

    [Theory]
    [InlineData("W/\"1\"", HttpStatusCode.NotModified)]
    [InlineData("\"1\"", HttpStatusCode.NotModified)]
    [InlineData("W/\"2\"", HttpStatusCode.OK)]
    [InlineData("W/\"7\", W/\"1\"", HttpStatusCode.NotModified)]
    [InlineData("*", HttpStatusCode.NotModified)]
    public async Task If_None_Match_on_read(string ifNoneMatch, HttpStatusCode expected)
    {
        var created = await CreatedAsync("HeaderIfNoneMatch");
        var (response, body) = await SendAsync(HttpMethod.Get, $"Patient/{created.Id}",
            headers: r => r.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        if (expected == HttpStatusCode.NotModified)
        {
            Assert.Empty(body);
            Assert.NotNull(response.Content.Headers.LastModified);
        }
        else Assert.Equal(created.Id, Deserializer.DeserializeResource(body).Id);
    }

    [Fact]
    public async Task If_None_Match_with_an_old_version_returns_the_current_one()
    {
        var created = await CreatedAsync("HeaderIfNoneMatchOld");
        created.Gender = AdministrativeGender.Male;
        var (put, _) = await SendAsync(HttpMethod.Put, $"Patient/{created.Id}", Serializer.SerializeToString(created));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var (stale, body) = await SendAsync(HttpMethod.Get, $"Patient/{created.Id}", headers: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"1\"", true)));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("2", Deserializer.DeserializeResource(body).Meta.VersionId);

        var (fresh, _) = await SendAsync(HttpMethod.Get, $"Patient/{created.Id}", headers: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"2\"", true)));
        Assert.Equal(HttpStatusCode.NotModified, fresh.StatusCode);
    }

    [Theory]
    [InlineData(3600, HttpStatusCode.NotModified)]
    [InlineData(2, HttpStatusCode.NotModified)]
    [InlineData(0, HttpStatusCode.NotModified)]
    [InlineData(-2, HttpStatusCode.OK)]
    [InlineData(-86400, HttpStatusCode.OK)]
    public async Task If_Modified_Since_on_read(int secondsAfterLastUpdated, HttpStatusCode expected)
    {
        var created = await CreatedAsync("HeaderIfModifiedSince");
        var lastUpdated = created.Meta.LastUpdated!.Value;
        var wholeSecond = DateTimeOffset.FromUnixTimeSeconds(lastUpdated.ToUnixTimeSeconds());
        var since = wholeSecond.AddSeconds(secondsAfterLastUpdated);
        var (response, body) = await SendAsync(HttpMethod.Get, $"Patient/{created.Id}",
            headers: r => r.Headers.IfModifiedSince = since);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.NotModified)
        {
            Assert.Empty(body);
            Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        }
        else Assert.Equal(created.Id, Deserializer.DeserializeResource(body).Id);
    }

    [Fact]
    public async Task FhirClient_read_with_If_None_Match_sees_304_only_for_the_current_version()
    {
        var created = await CreatedAsync("HeaderClient304");
        var client = server.Client();
        var notModified = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}", ifNoneMatch: "W/\"1\""));
        Assert.Equal(HttpStatusCode.NotModified, notModified.Status);
        var changed = await client.ReadAsync<Patient>($"Patient/{created.Id}", ifNoneMatch: "W/\"9\"");
        Assert.Equal(created.Id, changed!.Id);
    }

    public enum Write { Create, Update, Patch }

    public static TheoryData<Write, string> PreferCases()
    {
        var data = new TheoryData<Write, string>();
        foreach (var write in Enum.GetValues<Write>())
            foreach (var prefer in new[] { "return=minimal", "return=representation", "return=OperationOutcome" })
                data.Add(write, prefer);
        return data;
    }

    [Theory]
    [MemberData(nameof(PreferCases))]
    public async Task Prefer_return_shapes_the_body_of_writes_but_not_the_headers(Write write, string prefer)
    {
        void Prefer(HttpRequestMessage r) => r.Headers.Add("Prefer", prefer);
        HttpResponseMessage response;
        string body;
        string id;
        int version;
        HttpStatusCode status;
        switch (write)
        {
            case Write.Create:
                (response, body) = await CreateAsync(NewPatient("HeaderPreferCreate"), Prefer);
                id = response.Headers.Location?.ToString().Split('/')[^3] ?? "";
                (version, status) = (1, HttpStatusCode.Created);
                break;
            case Write.Update:
                var toUpdate = await CreatedAsync("HeaderPreferUpdate");
                toUpdate.Gender = AdministrativeGender.Male;
                (response, body) = await SendAsync(HttpMethod.Put, $"Patient/{toUpdate.Id}", Serializer.SerializeToString(toUpdate), headers: Prefer);
                (id, version, status) = (toUpdate.Id, 2, HttpStatusCode.OK);
                break;
            default:
                var toPatch = await CreatedAsync("HeaderPreferPatch");
                (response, body) = await SendAsync(HttpMethod.Patch, $"Patient/{toPatch.Id}", JsonPatchGenderMale, "application/json-patch+json", Prefer);
                (id, version, status) = (toPatch.Id, 2, HttpStatusCode.OK);
                break;
        }

        Assert.Equal(status, response.StatusCode);
        Assert.Equal($"W/\"{version}\"", response.Headers.ETag?.ToString());
        Assert.NotNull(response.Content.Headers.LastModified);
        AssertLocation(response, id, version);

        switch (prefer)
        {
            case "return=minimal":
                Assert.Empty(body);
                break;
            case "return=representation":
                var resource = Assert.IsType<Patient>(Deserializer.DeserializeResource(body));
                Assert.Equal(id, resource.Id);
                Assert.Equal(version.ToString(), resource.Meta.VersionId);
                Assert.Equal(write == Write.Create ? AdministrativeGender.Female : AdministrativeGender.Male, resource.Gender);
                break;
            default:
                var outcome = Assert.IsType<OperationOutcome>(Deserializer.DeserializeResource(body));
                Assert.NotEmpty(outcome.Issue);
                Assert.DoesNotContain(outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
                break;
        }

        var (read, readBody) = await SendAsync(HttpMethod.Get, $"Patient/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(version.ToString(), Deserializer.DeserializeResource(readBody).Meta.VersionId);
    }
}
