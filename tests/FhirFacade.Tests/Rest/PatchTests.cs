using System.Net;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Rest;

[Collection(ServerCollection.Name)]
public sealed class PatchTests(FhirServer server)
{
    private async Task<Patient> CreateAsync()
    {
        var patient = new Patient
        {
            Name = [new HumanName { Family = "Patchy", Given = ["Ann", "Beth"] }],
            Gender = AdministrativeGender.Female,
            BirthDate = "1970-02-03",
        };
        var reply = await server.Http().FhirAsync(HttpMethod.Post, "Patient", patient);
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return reply.As<Patient>();
    }

    /// <summary>The JSON at an RFC 6901 pointer, or null when nothing is there.</summary>
    private static JsonNode? At(JsonNode root, string pointer)
    {
        JsonNode? node = root;
        foreach (var token in pointer.Split('/').Skip(1))
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, out var i) && i < a.Count => a[i],
                _ => null,
            };
        return node;
    }

    private async Task AssertPatchedAsync(string id, Reply reply, string pointer, string? expectedJson)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        Assert.Equal("W/\"2\"", reply.ETag);
        var read = await server.Http().FhirGetAsync($"Patient/{id}");
        foreach (var json in new[] { reply.Json, read.Json })
        {
            Assert.Equal("2", (string?)At(json, "/meta/versionId"));
            Assert.Equal(id, (string?)At(json, "/id"));
            var actual = At(json, pointer);
            if (expectedJson is null) Assert.Null(actual);
            else Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), actual), $"{pointer} is {actual?.ToJsonString() ?? "absent"}, not {expectedJson}");
        }
        Assert.Equal("Patchy", (string?)At(read.Json, "/name/0/family"));
    }

    private async Task AssertUnchangedAsync(string id, StoreFingerprint before)
    {
        Assert.Equal(before, server.Fingerprint());
        var read = await server.Http().FhirGetAsync($"Patient/{id}");
        var patient = read.As<Patient>();
        Assert.Equal("1", patient.Meta.VersionId);
        Assert.Equal(AdministrativeGender.Female, patient.Gender);
        Assert.Equal(["Ann", "Beth"], patient.Name[0].Given);
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"/gender","value":"male"}]""", "/gender", "\"male\"")]
    [InlineData("""[{"op":"add","path":"/active","value":true}]""", "/active", "true")]
    [InlineData("""[{"op":"add","path":"/name/0/given/-","value":"Cara"}]""", "/name/0/given", """["Ann","Beth","Cara"]""")]
    [InlineData("""[{"op":"add","path":"/name/0/given/0","value":"Zoe"}]""", "/name/0/given", """["Zoe","Ann","Beth"]""")]
    [InlineData("""[{"op":"remove","path":"/birthDate"}]""", "/birthDate", null)]
    [InlineData("""[{"op":"remove","path":"/name/0/given/0"}]""", "/name/0/given", """["Beth"]""")]
    [InlineData("""[{"op":"test","path":"/gender","value":"female"},{"op":"replace","path":"/gender","value":"other"}]""", "/gender", "\"other\"")]
    [InlineData("""[{"op":"move","from":"/name/0/given/0","path":"/name/0/given/1"}]""", "/name/0/given", """["Beth","Ann"]""")]
    [InlineData("""[{"op":"copy","from":"/name/0/family","path":"/name/0/text"}]""", "/name/0/text", "\"Patchy\"")]
    public async Task Json_patch_applies_the_operations(string patch, string pointer, string? expectedJson)
    {
        var id = (await CreateAsync()).Id;

        var reply = await server.Http().FhirAsync(HttpMethod.Patch, $"Patient/{id}", patch, Wire.JsonPatch);

        await AssertPatchedAsync(id, reply, pointer, expectedJson);
    }

    private static Parameters Operation(string type, string path, params (string Name, DataType Value)[] parts)
    {
        var operation = new Parameters.ParameterComponent { Name = "operation" };
        operation.Part.Add(new Parameters.ParameterComponent { Name = "type", Value = new Code(type) });
        operation.Part.Add(new Parameters.ParameterComponent { Name = "path", Value = new FhirString(path) });
        foreach (var (name, value) in parts) operation.Part.Add(new Parameters.ParameterComponent { Name = name, Value = value });
        return new Parameters { Parameter = [operation] };
    }

    public static TheoryData<string, Parameters, string, string?> FhirPathPatches => new()
    {
        { "add a field", Operation("add", "Patient", ("name", new FhirString("active")), ("value", new FhirBoolean(true))), "/active", "true" },
        { "add to a list", Operation("add", "Patient.name[0]", ("name", new FhirString("given")), ("value", new FhirString("Cara"))), "/name/0/given", """["Ann","Beth","Cara"]""" },
        { "insert", Operation("insert", "Patient.name[0].given", ("index", new Integer(0)), ("value", new FhirString("Zoe"))), "/name/0/given", """["Zoe","Ann","Beth"]""" },
        { "insert at the end", Operation("insert", "Patient.name[0].given", ("index", new Integer(2)), ("value", new FhirString("Cara"))), "/name/0/given", """["Ann","Beth","Cara"]""" },
        { "delete a field", Operation("delete", "Patient.birthDate"), "/birthDate", null },
        { "delete a list item", Operation("delete", "Patient.name[0].given[0]"), "/name/0/given", """["Beth"]""" },
        { "replace a code", Operation("replace", "Patient.gender", ("value", new Code("male"))), "/gender", "\"male\"" },
        { "replace a list item", Operation("replace", "Patient.name[0].given[1]", ("value", new FhirString("Bea"))), "/name/0/given", """["Ann","Bea"]""" },
        { "replace a date", Operation("replace", "Patient.birthDate", ("value", new Date("1999-09-09"))), "/birthDate", "\"1999-09-09\"" },
        { "move", Operation("move", "Patient.name[0].given", ("source", new Integer(0)), ("destination", new Integer(1))), "/name/0/given", """["Beth","Ann"]""" },
    };

    [Theory]
    [MemberData(nameof(FhirPathPatches))]
    public async Task Fhirpath_patch_applies_the_operation(string what, Parameters patch, string pointer, string? expectedJson)
    {
        _ = what;
        var id = (await CreateAsync()).Id;

        var reply = await server.Http().FhirAsync(HttpMethod.Patch, $"Patient/{id}", patch);

        await AssertPatchedAsync(id, reply, pointer, expectedJson);
    }

    [Theory]
    [InlineData(2, HttpStatusCode.OK)]
    [InlineData(1, HttpStatusCode.PreconditionFailed)]
    public async Task Patch_honours_if_match(int ifMatch, HttpStatusCode status)
    {
        var created = await CreateAsync();
        created.Active = false;
        Assert.Equal(HttpStatusCode.OK, (await server.Http().FhirAsync(HttpMethod.Put, $"Patient/{created.Id}", created)).Status);
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Patch, $"Patient/{created.Id}",
            """[{"op":"replace","path":"/gender","value":"male"}]""", Wire.JsonPatch, ("If-Match", $"W/\"{ifMatch}\""));

        Assert.Equal(status, reply.Status);
        var current = (await server.Http().FhirGetAsync($"Patient/{created.Id}")).As<Patient>();
        if (status == HttpStatusCode.OK)
        {
            Assert.Equal("3", current.Meta.VersionId);
            Assert.Equal(AdministrativeGender.Male, current.Gender);
            return;
        }
        Assert.NotEmpty(reply.As<OperationOutcome>().Issue);
        Assert.Equal(before, server.Fingerprint());
        Assert.Equal("2", current.Meta.VersionId);
        Assert.Equal(AdministrativeGender.Female, current.Gender);
    }

    public static TheoryData<string, string, string> RefusedPatches => new()
    {
        { "json id", """[{"op":"replace","path":"/id","value":"someone-else"}]""", Wire.JsonPatch },
        { "json remove id", """[{"op":"remove","path":"/id"}]""", Wire.JsonPatch },
        { "json resourceType", """[{"op":"replace","path":"/resourceType","value":"Practitioner"}]""", Wire.JsonPatch },
        { "json invalid code", """[{"op":"replace","path":"/gender","value":"foo"}]""", Wire.JsonPatch },
        { "json invalid date", """[{"op":"replace","path":"/birthDate","value":"1970-13-45"}]""", Wire.JsonPatch },
        { "json unknown element", """[{"op":"add","path":"/colour","value":"blue"}]""", Wire.JsonPatch },
        { "json failed test", """[{"op":"replace","path":"/gender","value":"male"},{"op":"test","path":"/birthDate","value":"2000-01-01"}]""", Wire.JsonPatch },
        { "json missing target", """[{"op":"remove","path":"/deceasedBoolean"}]""", Wire.JsonPatch },
        { "fhirpath id", Wire.ToJson(Operation("replace", "Patient.id", ("value", new Id("someone-else")))), Wire.FhirJson },
        { "fhirpath invalid code", Wire.ToJson(Operation("replace", "Patient.gender", ("value", new Code("foo")))), Wire.FhirJson },
        { "fhirpath no match", Wire.ToJson(Operation("replace", "Patient.deceased", ("value", new FhirBoolean(true)))), Wire.FhirJson },
    };

    [Theory]
    [MemberData(nameof(RefusedPatches))]
    public async Task Patch_that_would_break_the_resource_is_422_and_changes_nothing(string what, string patch, string contentType)
    {
        _ = what;
        var id = (await CreateAsync()).Id;
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Patch, $"Patient/{id}", patch, contentType);

        Assert.True(reply.Status == HttpStatusCode.UnprocessableEntity, reply.ToString());
        Assert.Contains(reply.As<OperationOutcome>().Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        await AssertUnchangedAsync(id, before);
    }

    [Fact]
    public async Task Patch_of_a_deleted_resource_is_410()
    {
        var id = (await CreateAsync()).Id;
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{id}")).Status);
        var before = server.Fingerprint();

        var reply = await server.Http().FhirAsync(HttpMethod.Patch, $"Patient/{id}", """[{"op":"replace","path":"/gender","value":"male"}]""", Wire.JsonPatch);

        Assert.Equal(HttpStatusCode.Gone, reply.Status);
        Assert.Equal(before, server.Fingerprint());
    }
}
