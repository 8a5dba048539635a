namespace FhirCare.FhirFacade.Rest;

/// <summary>The "Fhir" configuration section.</summary>
public sealed class FhirOptions
{
    /// <summary>The largest request body accepted, in bytes; larger bodies get 413.</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The largest batch or transaction Bundle accepted, in bytes (413 above).</summary>
    public long MaxBundleBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The most entries a batch or transaction Bundle may have (413 above).</summary>
    public int MaxBundleEntries { get; set; } = 10_000;

    /// <summary>The base URL used in Location headers and fullUrls; empty: taken from each request.</summary>
    public string? BaseUrl { get; set; }
}
