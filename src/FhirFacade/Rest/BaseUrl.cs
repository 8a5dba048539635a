using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Rest;

/// <summary>The server's base URL: configured (Fhir:BaseUrl) or taken from the request.</summary>
public sealed class BaseUrl(IOptions<FhirOptions> options)
{
    private readonly string? _configured = options.Value.BaseUrl?.TrimEnd('/');

    public string Of(HttpRequest request) =>
        _configured is { Length: > 0 } ? _configured : $"{request.Scheme}://{request.Host}{request.PathBase}";
}
