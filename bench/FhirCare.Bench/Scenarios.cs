using System.Text.Json;

namespace FhirCare.Bench;

/// <summary>State owned by one client loop; never shared between concurrent requests.</summary>
sealed class ClientContext(int id)
{
    public int Id { get; } = id;
    public Random Random { get; } = new(id * 7919 + 17);
    public PatientFactory Patients { get; } = new();
    public byte[] DrainBuffer { get; } = new byte[16 * 1024];
    public MemoryStream Body { get; } = new(64 * 1024);
    public long QueryCount;
    public Uri? NextPage;
    public bool OnNextPage;
    public long Succeeded;
    public long Failed;
    public long Empty;
    public long MaxMicros;
}

abstract class Scenario(string name)
{
    public const string FhirJson = "application/fhir+json";

    public string Name { get; } = name;

    public abstract HttpRequestMessage CreateRequest(ClientContext context);

    public virtual bool IsExpected(int status) => status == 200;

    /// <summary>When true, the runner reads each expected answer whole and asks <see cref="HasResults"/> about it.</summary>
    public virtual bool InspectsBody => false;

    /// <summary>False for an answer that is suspiciously empty; counted apart from errors.</summary>
    public virtual bool HasResults(ClientContext context, ReadOnlySpan<byte> body) => true;

    protected static HttpRequestMessage Request(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation("Accept", FhirJson);
        return request;
    }

    protected static void SetBody(HttpRequestMessage request, ReadOnlyMemory<byte> body, bool minimal)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", FhirJson);
        request.Content = content;
        if (minimal)
            request.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
    }
}

sealed class HealthScenario(Uri baseUri) : Scenario("health")
{
    readonly Uri _uri = new(baseUri, "health/live");

    public override HttpRequestMessage CreateRequest(ClientContext context) => new(HttpMethod.Get, _uri);
}

sealed class CreateScenario(Uri baseUri) : Scenario("create")
{
    static long _counter;
    readonly Uri _uri = new(baseUri, "Patient");

    public override HttpRequestMessage CreateRequest(ClientContext context)
    {
        var request = Request(HttpMethod.Post, _uri);
        SetBody(request, context.Patients.Write(Interlocked.Increment(ref _counter)), minimal: true);
        return request;
    }

    public override bool IsExpected(int status) => status == 201;
}

sealed class ReadScenario(SeededPatients seeded) : Scenario("read")
{
    public override HttpRequestMessage CreateRequest(ClientContext context) =>
        Request(HttpMethod.Get, seeded.Uris[context.Random.Next(seeded.Count)]);
}

sealed class UpdateScenario(SeededPatients seeded) : Scenario("update")
{
    static long _counter = 1L << 32;

    public override HttpRequestMessage CreateRequest(ClientContext context)
    {
        var index = context.Random.Next(seeded.Count);
        var request = Request(HttpMethod.Put, seeded.Uris[index]);
        SetBody(request, context.Patients.Write(Interlocked.Increment(ref _counter), seeded.Ids[index]), minimal: true);
        return request;
    }

    public override bool IsExpected(int status) => status is 200 or 201;
}

/// <summary>Patients created before the read/update scenarios; their ids come from Location or the body.</summary>
sealed class SeededPatients
{
    const long SeedCounterBase = 1L << 40;

    public required string[] Ids { get; init; }
    public required Uri[] Uris { get; init; }
    public int Count => Ids.Length;

    public static async Task<SeededPatients> CreateAsync(HttpClient http, Uri baseUri, int count, int concurrency)
    {
        var ids = new string[count];
        var next = -1;
        var createUri = new Uri(baseUri, "Patient");
        var workers = new Task[Math.Min(concurrency, count)];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                var factory = new PatientFactory();
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, createUri);
                    request.Headers.TryAddWithoutValidation("Accept", Scenario.FhirJson);
                    var content = new ReadOnlyMemoryContent(factory.Write(SeedCounterBase + i));
                    content.Headers.TryAddWithoutValidation("Content-Type", Scenario.FhirJson);
                    request.Content = content;
                    using var response = await http.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if ((int)response.StatusCode != 201)
                        throw new InvalidOperationException(
                            $"Seeding POST /Patient returned {(int)response.StatusCode}, expected 201: {Truncate(body)}");
                    ids[i] = IdFromLocation(response.Headers.Location) ?? IdFromBody(body)
                        ?? throw new InvalidOperationException("Seeding POST /Patient returned neither a Location header nor a body with an id.");
                }
            });
        }
        await Task.WhenAll(workers);
        var uris = new Uri[count];
        for (var i = 0; i < count; i++)
            uris[i] = new Uri(baseUri, "Patient/" + Uri.EscapeDataString(ids[i]));
        return new SeededPatients { Ids = ids, Uris = uris };
    }

    static string? IdFromLocation(Uri? location)
    {
        if (location is null)
            return null;
        var text = location.OriginalString;
        var start = text.IndexOf("Patient/", StringComparison.Ordinal);
        if (start < 0)
            return null;
        start += "Patient/".Length;
        var end = text.IndexOfAny(['/', '?', '#'], start);
        var id = end < 0 ? text[start..] : text[start..end];
        return id.Length == 0 ? null : id;
    }

    static string? IdFromBody(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
            return null;
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null;
    }

    internal static string Truncate(string text, int max = 1000) =>
        text.Length == 0 ? "(empty body)" : text.Length <= max ? text : text[..max] + "…";
}
