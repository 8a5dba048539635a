using System.Net.Http.Headers;
using System.Text;

namespace FhirCare.Conformance.Execution;

/// <summary>Sends requests to the server under test and keeps each as an <see cref="Exchange"/>.</summary>
public sealed class FhirHttp(HttpClient http, Uri baseUrl)
{
    public Uri BaseUrl { get; } = new(baseUrl.ToString().TrimEnd('/') + "/");

    public Uri Resolve(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute
            : new Uri(BaseUrl, url.TrimStart('/'));

    public async Task<Exchange> SendAsync(OperationRequest request, CancellationToken cancel)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), Resolve(request.Url));
        if (request.Accept.Length > 0) message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(request.Accept));
        if (request.Body is not null)
        {
            var mediaType = request.ContentType ?? FhirWire.Json;
            message.Content = new StringContent(FhirWire.Serialize(request.Body, mediaType), Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        }
        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is not null)
            {
                message.Content.Headers.Remove(name);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        var requestHeaders = Exchange.Headers(message.Headers, message.Content?.Headers);
        using var response = await http.SendAsync(message, cancel);
        var body = await response.Content.ReadAsStringAsync(cancel);
        return new Exchange(
            request.Method, message.RequestUri!, requestHeaders, request.Body,
            (int)response.StatusCode, Exchange.Headers(response.Headers, response.Content.Headers), body,
            FhirWire.TryParse(body, response.Content.Headers.ContentType?.MediaType));
    }
}
