using System.Net;
using System.Text;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>A server that accepts request bodies of at most 1024 bytes.</summary>
public sealed class SmallBodyServer : IDisposable
{
    public const int Limit = 1024;
    public FhirServer Server { get; } = FhirServer.With(new Dictionary<string, string?> { ["Fhir:MaxRequestBytes"] = Limit.ToString() });
    public void Dispose() => Server.Dispose();
}

/// <summary>Bodies over Fhir:MaxRequestBytes are 413, whether or not they announce their length; nothing is stored.</summary>
public sealed class BadInputSizeTests(SmallBodyServer small) : IClassFixture<SmallBodyServer>
{
    private FhirServer Server => small.Server;

    /// <summary>A valid Patient of exactly <paramref name="bytes"/> bytes of UTF-8 JSON.</summary>
    private static string PatientOfSize(int bytes, string? id = null)
    {
        var head = "{\"resourceType\":\"Patient\"," + (id is null ? "" : $"\"id\":\"{id}\",") + "\"name\":[{\"family\":\"";
        const string tail = "\"}]}";
        var json = head + new string('x', bytes - head.Length - tail.Length) + tail;
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(json));
        return json;
    }

    private static string PatchOfSize(int bytes)
    {
        const string head = "[{\"op\":\"add\",\"path\":\"/name\",\"value\":[{\"family\":\"";
        const string tail = "\"}]}]";
        return head + new string('x', bytes - head.Length - tail.Length) + tail;
    }

    private async Task<string> ExistingPatientIdAsync() => (await Server.CreatePatientAsync()).Id;

    [Fact]
    public async Task A_body_at_the_limit_is_accepted()
    {
        using var response = await Server.Http().SendAsync(Create(HttpMethod.Post, "Patient", PatientOfSize(SmallBodyServer.Limit)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    public async Task A_body_over_the_limit_is_413(string method)
    {
        var id = await ExistingPatientIdAsync();
        var request = method switch
        {
            "POST" => Create(HttpMethod.Post, "Patient", PatientOfSize(2048)),
            "PUT" => Create(HttpMethod.Put, $"Patient/{id}", PatientOfSize(2048, id)),
            _ => Create(HttpMethod.Patch, $"Patient/{id}", PatchOfSize(2048), JsonPatch),
        };
        await Server.RefusesAsync(request, 413, IssueType.TooCostly);
    }

    [Fact]
    public async Task A_body_one_byte_over_the_limit_is_413()
    {
        await Server.RefusesAsync(Create(HttpMethod.Post, "Patient", PatientOfSize(SmallBodyServer.Limit + 1)), 413, IssueType.TooCostly);
    }

    [Fact]
    public async Task A_streamed_body_without_content_length_over_the_limit_is_413()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = new UnsizedContent(Encoding.UTF8.GetBytes(PatientOfSize(2048))) };
        request.Content.Headers.ContentType = new(Json);
        await Server.RefusesAsync(request, 413, IssueType.TooCostly);
    }

    [Fact]
    public async Task A_content_length_over_the_limit_is_413_before_the_body_is_read()
    {
        var request = Create(HttpMethod.Post, "Patient", PatientJson());
        request.Content!.Headers.ContentLength = SmallBodyServer.Limit * 4;
        await Server.RefusesAsync(request, 413, IssueType.TooCostly);
    }

    /// <summary>Content that does not know its length, so it is sent without a Content-Length header.</summary>
    private sealed class UnsizedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
