using System.Text;
using FhirCare.FhirFacade.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Writes a Parameters resource whose <c>return</c> parameters are added one at a time and flushed as they come, in
/// JSON or XML, so an answer about 10,000 members never sits in memory whole.
/// </summary>
public sealed class ParametersStream(HttpResponse response, ResponseShape shape)
{
    private static readonly FhirXmlSerializer Xml = new();
    private bool _started, _any;

    public async Task AddAsync(string name, Resource resource)
    {
        await StartAsync();
        var body = shape.Format == FhirFormat.Json ? FhirJson.ToBytes(resource, pretty: shape.Pretty) : WithoutDeclaration(Xml.SerializeToBytes(resource, pretty: shape.Pretty));
        var (open, close) = shape.Format == FhirFormat.Json
            ? ($"{(_any ? "," : ",\"parameter\":[")}{{\"name\":\"{name}\",\"resource\":", "}")
            : ($"<parameter><name value=\"{name}\"/><resource>", "</resource></parameter>");
        _any = true;
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(open));
        await response.Body.WriteAsync(body);
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(close));
        await response.Body.FlushAsync();
    }

    public async Task CompleteAsync()
    {
        await StartAsync();
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(shape.Format == FhirFormat.Json ? (_any ? "]}" : "}") : "</Parameters>"));
    }

    private async Task StartAsync()
    {
        if (_started) return;
        _started = true;
        response.StatusCode = 200;
        response.ContentType = shape.ContentType;
        // An id, so that even an answer without any return is a valid (non-empty) resource.
        var id = Guid.CreateVersion7().ToString();
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(shape.Format == FhirFormat.Json
            ? $"{{\"resourceType\":\"Parameters\",\"id\":\"{id}\""
            : $"<Parameters xmlns=\"http://hl7.org/fhir\"><id value=\"{id}\"/>"));
    }

    private static ReadOnlyMemory<byte> WithoutDeclaration(byte[] xml)
    {
        var span = xml.AsSpan();
        var start = 0;
        if (span.Length >= 3 && span[0] == 0xEF && span[1] == 0xBB && span[2] == 0xBF) start = 3;
        if (span[start..].StartsWith("<?xml"u8)) start += span[start..].IndexOf("?>"u8) + 2;
        return xml.AsMemory(start);
    }
}
