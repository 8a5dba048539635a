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

    /// <summary>How long a status poll (a GET answered 202) is repeated before its last answer is taken as it is.</summary>
    public TimeSpan PollFor { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Sends the request. A GET answered <c>202 Accepted</c> without <c>Prefer: respond-async</c> (which makes it a
    /// kick-off) is an asynchronous status poll (Bulk Data export, async.html): it is repeated, after the answer's Retry-After (at most 2 s), until it answers something else or
    /// <see cref="PollFor"/> has passed. No other FHIR GET answers 202, so a TestScript can follow a kick-off with one
    /// read of its Content-Location.
    /// </summary>
    public async Task<Exchange> SendAsync(OperationRequest request, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + PollFor;
        while (true)
        {
            var exchange = await SendOnceAsync(request, cancel);
            if (exchange.Status != 202 || request.Method != "GET" || IsKickOff(request) || DateTime.UtcNow >= until) return exchange;
            var wait = int.TryParse(exchange.ResponseHeader("Retry-After"), out var seconds) ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 2)) : TimeSpan.FromMilliseconds(200);
            await Task.Delay(wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait, cancel);
        }
    }

    private static bool IsKickOff(OperationRequest request) =>
        request.Headers.Any(h => h.Name.Equals("Prefer", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("respond-async", StringComparison.OrdinalIgnoreCase));

    private async Task<Exchange> SendOnceAsync(OperationRequest request, CancellationToken cancel)
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
