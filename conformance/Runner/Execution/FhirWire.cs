using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.Conformance.Execution;

/// <summary>FHIR media types and (de)serialisation for requests and responses.</summary>
public static class FhirWire
{
    public const string Json = "application/fhir+json";
    public const string Xml = "application/fhir+xml";

    private static readonly FhirJsonSerializer JsonSerializer = new();
    private static readonly FhirXmlSerializer XmlSerializer = new();
    private static readonly FhirJsonDeserializer JsonDeserializer = FhirJsonDeserializer.RECOVERABLE;
    private static readonly FhirXmlDeserializer XmlDeserializer = FhirXmlDeserializer.RECOVERABLE;

    /// <summary>TestScript accept/contentType: R4 uses media types, STU3 scripts still say "json" or "xml".</summary>
    public static string MediaType(string? code) => code switch
    {
        null or "" or "json" => Json,
        "xml" => Xml,
        "ttl" => "application/fhir+turtle",
        "none" => "",
        _ => code,
    };

    public static bool IsXml(string? mediaType) => mediaType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true;

    public static string Serialize(Resource resource, string mediaType) =>
        IsXml(mediaType) ? XmlSerializer.SerializeToString(resource) : JsonSerializer.SerializeToString(resource);

    public static string Pretty(Resource resource) => JsonSerializer.SerializeToString(resource, pretty: true);

    public static string ToXml(Resource resource) => XmlSerializer.SerializeToString(resource);

    public static Resource ParseJson(string json) => JsonDeserializer.DeserializeResource(json);

    public static Resource ParseXml(string xml) => XmlDeserializer.DeserializeResource(xml);

    /// <summary>A response body as a resource, or null when it is empty or not FHIR (the asserts then report that).</summary>
    public static Resource? TryParse(string body, string? contentType)
    {
        var text = body.TrimStart();
        if (text.Length == 0) return null;
        try
        {
            if (text[0] == '<') return ParseXml(text);
            if (text[0] == '{') return ParseJson(text);
        }
        catch (DeserializationFailedException) when (text[0] == '{' && !HasResourceType(text))
        {
            return PlainJson(text);
        }
        catch (DeserializationFailedException e) when (e.PartialResult is Resource partial)
        {
            return partial;
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException or System.Xml.XmlException or FormatException)
        {
        }
        return null;
    }

    /// <summary>The name a JSON body that is not a FHIR resource gets (the resource assert sees it; expressions start below it).</summary>
    public const string PlainJsonType = "Json";

    private static readonly FhirJsonDeserializer Ostrich = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    /// <summary>
    /// A JSON object that is not a FHIR resource (the Bulk Data completion manifest) as the SDK's dynamic resource, so
    /// FHIRPath asserts and variables reach into it (<c>output.where(type='Patient').url</c>).
    /// </summary>
    private static Resource? PlainJson(string text)
    {
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(text) as System.Text.Json.Nodes.JsonObject;
            if (node is null) return null;
            node.Insert(0, "resourceType", PlainJsonType);
            return Ostrich.DeserializeResource(node.ToJsonString());
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static bool HasResourceType(string json)
    {
        try { return System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject o && o.ContainsKey("resourceType"); }
        catch (System.Text.Json.JsonException) { return true; }
    }

    /// <summary>A fixture file: JSON or XML by its first character.</summary>
    public static Resource ParseFile(string path)
    {
        var text = File.ReadAllText(path).TrimStart('\uFEFF', ' ', '\r', '\n', '\t');
        return text.StartsWith('<') ? new FhirXmlDeserializer().DeserializeResource(text) : new FhirJsonDeserializer().DeserializeResource(text);
    }
}
