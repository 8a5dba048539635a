using System.Collections.Concurrent;
using System.Net;
using FhirCare.FhirFacade.Tests.Audit;
using FhirCare.FhirFacade.Tests.Rest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Limits;

/// <summary>Per-client rate limits (429 + Retry-After), security headers, CORS for browser apps, and no PHI in logs.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Each_client_gets_its_own_window_and_is_told_when_to_come_back()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["RateLimit:PermitsPerWindow"] = "3", ["RateLimit:WindowSeconds"] = "60" }, TestIdentity.Register);
        var http = server.Http();
        Task<HttpResponseMessage> Read(string? claims) =>
            http.SendAsync(claims is null ? FhirRequest.Create(HttpMethod.Get, "/Patient/nobody") : TestIdentity.As(FhirRequest.Create(HttpMethod.Get, "/Patient/nobody"), claims));

        for (int i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.NotFound, (await Read("client_id=app-a")).StatusCode);
        var refused = await Read("client_id=app-a");
        await OutcomeAssert.IsOutcomeAsync(refused, 429, IssueType.Throttled);
        var retry = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retry, 1, 60);

        Assert.Equal(HttpStatusCode.NotFound, (await Read("client_id=app-b")).StatusCode); // another client's window
        Assert.Equal(HttpStatusCode.NotFound, (await Read(null)).StatusCode); // no client: limited by address
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode); // not a FHIR endpoint
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_health_data_is_never_cached()
    {
        using var server = FhirServer.With(new Dictionary<string, string?>());
        var http = server.Http();
        var created = await http.SendAsync(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson()));
        var read = await http.GetAsync(created.Headers.Location);
        var missing = await http.GetAsync("/Patient/nobody");
        var metadata = await http.GetAsync("/metadata");
        foreach (var response in (HttpResponseMessage[])[created, read, missing, metadata])
        {
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        }
        foreach (var response in (HttpResponseMessage[])[created, read, missing])
            Assert.True(response.Headers.CacheControl?.NoStore, response.RequestMessage!.RequestUri!.ToString());
        Assert.NotEqual(true, metadata.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Configured_origins_pass_a_preflight_and_read_the_fhir_headers_others_do_not()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["Cors:Origins:0"] = "https://app.example" });
        var http = server.Http();
        var audits = await AuditCountAsync(http);

        var preflight = FhirRequest.Create(HttpMethod.Options, "/Patient", null, null,
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization,content-type,if-match"));
        var answer = await http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("if-match", answer.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);

        var created = await http.SendAsync(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson(), headers: ("Origin", "https://app.example")));
        var exposed = created.Headers.GetValues("Access-Control-Expose-Headers").Single().Split(',', StringSplitOptions.TrimEntries);
        Assert.Superset(new HashSet<string>(["ETag", "Location", "Content-Location", "X-Progress", "Last-Modified"]), exposed.ToHashSet());

        var stranger = await http.SendAsync(FhirRequest.Create(HttpMethod.Options, "/Patient", null, null,
            ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")));
        Assert.False(stranger.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(audits + 2, await AuditCountAsync(http)); // the POST and the count before: preflights are not FHIR interactions
    }

    [Fact]
    public async Task A_search_by_name_and_birth_date_leaves_neither_in_the_logs()
    {
        var sink = new LogSink();
        using var server = FhirServer.With(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        }, services => services.AddSingleton<ILoggerProvider>(sink));
        var http = server.Http();
        var created = await http.SendAsync(FhirRequest.Create(HttpMethod.Post, "/Patient",
            """{"resourceType":"Patient","name":[{"family":"Zbigniewska","given":["Halina"]}],"birthDate":"1961-04-12"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/Patient?family=Zbigniewska&given=Halina&birthdate=1961-04-12")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/Patient?birthdate=Zbigniewska")).StatusCode);

        var lines = sink.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("search-type Patient - answered 200")); // logging works, and says what was done
        Assert.Contains(lines, l => l.Contains("search-type Patient - answered 400"));
        Assert.DoesNotContain(lines, l => l.Contains("Zbigniewska", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(lines, l => l.Contains("Halina", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(lines, l => l.Contains("1961-04-12"));
    }

    private static async Task<int> AuditCountAsync(HttpClient http)
    {
        var response = await http.GetAsync("/AuditEvent?_summary=count");
        var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("total").GetInt32();
    }

    /// <summary>Every log line the server writes, with its exception.</summary>
    private sealed class LogSink : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string category) => new Logger(this, category);

        public void Dispose() { }

        private sealed class Logger(LogSink sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel level) => true;

            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
