using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using FhirCare.FhirFacade.Tests.Rest;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Real data for the search semantics suite: the official R4 examples (Fixtures/spec-examples) and one Synthea patient
/// (Fixtures/synthea), stored one by one with PUT [type]/[id] in a server of their own, and kept here as POCOs so that
/// tests can work out expected matches without asking the server. Every test class takes its own instance
/// (IClassFixture), so nothing else is in its store and counts are exact.
/// </summary>
public sealed class SearchCorpus : IAsyncLifetime
{
    public const int MaxCount = 300;
    public const string SyntheaPatient = "8a4c9c04-1524-9f1c-d65b-9b17e4520fef";

    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
    private static readonly FhirJsonDeserializer Deserializer = new();

    /// <summary>Observation-decimal.json holds -1.0E+245, which no FHIR client in .NET can parse (see RoundTripCorpusTests).</summary>
    private static readonly string[] Unparseable = ["Observation-decimal.json"];

    private FhirServer? _server;
    private Dictionary<string, Resource> _byKey = [];

    public FhirServer Server => _server ?? throw new InvalidOperationException("not loaded");

    public IReadOnlyCollection<Resource> Resources => _byKey.Values;

    public IEnumerable<T> All<T>() where T : Resource => _byKey.Values.OfType<T>();

    public IEnumerable<Resource> All(string type) => _byKey.Values.Where(r => r.TypeName == type);

    public Resource Get(string type, string id) => _byKey[$"{type}/{id}"];

    public async Task InitializeAsync()
    {
        _server = FhirServer.With(new Dictionary<string, string?>
        {
            ["Search:MaxCount"] = MaxCount.ToString(CultureInfo.InvariantCulture),
            ["Search:DefaultCount"] = "20",
            // The corpus is stored verbatim, including Observation-clinical-gender.json, which the spec publishes
            // although it is invalid (see Validation/SpecCorpusValidationTests): searching, not validation, is tested here.
            ["Validation:Mode"] = "off",
            // No published guide (profiles/ holds Measures, ValueSets…): only the corpus is in the store, so counts are exact.
            ["Search:ProfilesPath"] = Path.Combine(Path.GetTempPath(), "fhircare-tests", "no-profiles"),
            // Nor the AuditEvents of the requests that load and search it: the spec's AuditEvent examples are searched.
            ["Audit:Enabled"] = "false",
        });
        var documents = SpecExamples().Concat(SyntheaEntries()).ToList();
        var http = Server.Http();
        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (d, _) =>
        {
            if (StoreSeed.IsReadOnly(d.Type))
            {
                await Server.PutAsync(Deserializer.DeserializeResource(d.Json)); // AuditEvents cannot be written through the API
                return;
            }
            var reply = await http.FhirAsync(HttpMethod.Put, $"{d.Type}/{d.Id}", d.Json, Wire.FhirJson);
            Assert.True(reply.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {d.Type}/{d.Id}: {reply}");
        });
        _byKey = documents.ToDictionary(d => $"{d.Type}/{d.Id}", d => Deserializer.DeserializeResource(d.Json));
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }

    internal sealed record Document(string Type, string Id, string Json);

    private static IEnumerable<Document> SpecExamples() =>
        Directory.EnumerateFiles(Path.Combine(Fixtures, "spec-examples"), "*.json")
            .Where(f => !Unparseable.Contains(Path.GetFileName(f)))
            .Select(f => Describe(JsonNode.Parse(File.ReadAllText(f))!));

    /// <summary>
    /// The entries of the Synthea transaction Bundle, with every "urn:uuid:X" reference to another entry rewritten to
    /// "[type]/X". Conditional references (Practitioner?identifier=...) name resources outside the fixture and stay as they are.
    /// </summary>
    internal static IEnumerable<Document> SyntheaEntries(string patient = SyntheaPatient)
    {
        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "synthea", $"{patient}.json")))!;
        var entries = bundle["entry"]!.AsArray().Select(e => (FullUrl: (string)e!["fullUrl"]!, Resource: e["resource"]!)).ToList();
        var local = entries.ToDictionary(e => e.FullUrl, e => $"{(string)e.Resource["resourceType"]!}/{(string)e.Resource["id"]!}");
        foreach (var (_, resource) in entries)
        {
            Rewrite(resource, local);
            yield return Describe(resource);
        }
    }

    private static void Rewrite(JsonNode node, IReadOnlyDictionary<string, string> local)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue<string>(out var s) && local.TryGetValue(s, out var relative))
                        o[name] = relative;
                    else if (value is not null)
                        Rewrite(value, local);
                }
                break;
            case JsonArray a:
                foreach (var item in a) if (item is not null) Rewrite(item, local);
                break;
        }
    }

    private static Document Describe(JsonNode resource) =>
        new((string)resource["resourceType"]!, (string)resource["id"]!, resource.ToJsonString());

    /// <summary>
    /// The ids a test row names: "id" (of <paramref name="type"/>) or "Type/id"; a Synthea id may be shortened to its
    /// first 8 characters. Answers "Type/id" keys.
    /// </summary>
    public IEnumerable<string> Keys(string type, string expected)
    {
        foreach (var token in expected.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (t, id) = token.Contains('/') ? (token[..token.IndexOf('/')], token[(token.IndexOf('/') + 1)..]) : (type, token);
            if (_byKey.ContainsKey($"{t}/{id}")) { yield return $"{t}/{id}"; continue; }
            var candidates = _byKey.Keys.Where(k => k.StartsWith($"{t}/{id}", StringComparison.Ordinal) && id.Length == 8).ToList();
            Assert.True(candidates.Count == 1, $"'{token}' names {candidates.Count} {t} resources of the fixture");
            yield return candidates[0];
        }
    }

    /// <summary>"a=1&amp;b=x|y" as a query string with every name and value escaped.</summary>
    public static string Query(string query) =>
        Wire.Query(query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : "")).ToArray());

    public async Task<Bundle> SearchAsync(string type, string query, params (string, string)[] headers)
    {
        var url = $"{type}?{Query(query)}";
        var reply = await Server.Http().FhirGetAsync(url, headers);
        Assert.True(reply.Status == HttpStatusCode.OK, $"GET {url}: {reply}");
        var bundle = reply.As<Bundle>();
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        return bundle;
    }

    /// <summary>The keys ("Type/id") of the matches, from a search whose matches fit on one page.</summary>
    public async Task<List<string>> MatchKeysAsync(string type, string query)
    {
        var url = $"{type}?{Query(query.Contains("_count=") ? query : $"{query}&_count={MaxCount}")}";
        var reply = await Server.Http().FhirGetAsync(url);
        Assert.True(reply.Status == HttpStatusCode.OK, $"GET {url}: {reply}");
        var bundle = reply.Json;
        Assert.Equal("searchset", (string?)bundle["type"]);
        Assert.DoesNotContain(bundle["link"]?.AsArray() ?? [], l => (string?)l!["relation"] == "next");
        return (bundle["entry"]?.AsArray() ?? [])
            .Where(e => (string?)e!["search"]?["mode"] == "match")
            .Select(e => $"{(string)e!["resource"]!["resourceType"]!}/{(string)e["resource"]!["id"]!}")
            .ToList();
    }

    public static IEnumerable<Resource> Matches(Bundle bundle) =>
        bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource!);

    public static IEnumerable<Resource> Included(Bundle bundle) =>
        bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Include).Select(e => e.Resource!);

    public static string? Link(Bundle bundle, string relation) => bundle.Link.FirstOrDefault(l => l.Relation == relation)?.Url;

    public async Task AssertFindsAsync(string type, string query, string expected)
    {
        var found = await MatchKeysAsync(type, query);
        Assert.Equal(Keys(type, expected).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
    }

    public async Task AssertFindsAsync(string type, string query, Func<Resource, bool> oracle)
    {
        var expected = All(type).Where(oracle).Select(r => $"{r.TypeName}/{r.Id}").Order(StringComparer.Ordinal).ToList();
        var found = await MatchKeysAsync(type, query);
        Assert.Equal(expected, found.Order(StringComparer.Ordinal));
    }
}

/// <summary>An expected match worked out from the fixture's POCOs; the description names the test row.</summary>
public sealed record Oracle(string Description, Func<Resource, bool> Matches)
{
    public override string ToString() => Description;
}
