using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Rest;

/// <summary>
/// The one place resources become JSON bytes. Uses a relaxed encoder so '+', quotes and non-ASCII text are written
/// as themselves ("+00:00", not "\u002B00:00"); JSON stays valid, and stored bytes stay small and readable.
/// </summary>
public static class FhirJson
{
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private static readonly FhirJsonSerializer Serializer = new();

    public static byte[] ToBytes(Base resource, SummaryType summary = SummaryType.False, string[]? elements = null, bool pretty = false)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, Options(pretty)))
        {
            if (ResponseFilter.For(summary, elements) is { } filter) Serializer.Serialize(resource, writer, filter);
            else Serializer.Serialize(resource, writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static JsonWriterOptions Options(bool pretty) => new() { Indented = pretty, Encoder = Encoder, SkipValidation = true };
}
