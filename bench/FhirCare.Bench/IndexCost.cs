using System.Text.Json;
using System.Text.Json.Nodes;

namespace FhirCare.Bench;

/// <summary>
/// The bench's Patients carried as a Basic: the same values with the same FHIR datatypes (valueHumanName,
/// valueAddress, valueIdentifier, …), but in extensions, which no search parameter indexes, so a create parses and
/// validates about the same content and writes one index row (Basic.code) instead of about forty.
/// </summary>
static class PatientAsBasic
{
    const string Url = "urn:bench:";

    static readonly Dictionary<string, string> ValueTypes = new()
    {
        ["identifier"] = "Identifier", ["active"] = "Boolean", ["name"] = "HumanName", ["telecom"] = "ContactPoint",
        ["gender"] = "Code", ["birthDate"] = "Date", ["address"] = "Address", ["maritalStatus"] = "CodeableConcept",
        ["multipleBirthBoolean"] = "Boolean", ["relationship"] = "CodeableConcept", ["language"] = "CodeableConcept",
        ["preferred"] = "Boolean",
    };

    public static byte[][] Bodies(int count)
    {
        var patients = new PatientFactory();
        return Enumerable.Range(0, count).Select(i => Convert(patients.Write((1L << 50) + i))).ToArray();
    }

    static byte[] Convert(ReadOnlyMemory<byte> patientJson)
    {
        var extensions = new JsonArray();
        foreach (var (name, value) in JsonNode.Parse(patientJson.Span)!.AsObject())
        {
            if (name == "extension")
                Items(value!).ForEach(e => extensions.Add(e.DeepClone()));
            else if (name != "resourceType")
                Items(value!).ForEach(item => extensions.Add(Extension(name, item)));
        }
        var basic = new JsonObject
        {
            ["resourceType"] = "Basic",
            ["code"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "https://fhircare.org/fhir/CodeSystem/bench", ["code"] = "patient-copy" }),
            },
            ["extension"] = extensions,
        };
        return JsonSerializer.SerializeToUtf8Bytes(basic);
    }

    static JsonObject Extension(string name, JsonNode value)
    {
        var extension = new JsonObject { ["url"] = Url + name };
        if (ValueTypes.TryGetValue(name, out var type))
        {
            extension["value" + type] = value.DeepClone();
            return extension;
        }
        var parts = new JsonArray();
        foreach (var (part, partValue) in value.AsObject())
            Items(partValue!).ForEach(item => parts.Add(Extension(part, item)));
        extension["extension"] = parts;
        return extension;
    }

    static List<JsonNode> Items(JsonNode value) => value is JsonArray array ? array.Select(n => n!).ToList() : [value];
}

sealed class CreateBasicScenario(Uri baseUri, byte[][] bodies) : Scenario("create-basic")
{
    static long _counter;
    readonly Uri _uri = new(baseUri, "Basic");

    public override HttpRequestMessage CreateRequest(ClientContext context)
    {
        var request = Request(HttpMethod.Post, _uri);
        SetBody(request, bodies[Interlocked.Increment(ref _counter) % bodies.Length], minimal: true);
        return request;
    }

    public override bool IsExpected(int status) => status == 201;
}
