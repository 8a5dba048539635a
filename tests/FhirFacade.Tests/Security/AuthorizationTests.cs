using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirCare.FhirFacade.Tests.Security;

/// <summary>
/// One server with security on: an external issuer whose keys the test holds (token failures), the embedded endpoint
/// with clients for every scope letter, a patient-context client and two vendors, and a small care network:
/// patients pa and pb (not assigned), pv (member of vendor v1 through a Task it owns), pw (member of v2 through a CarePlan
/// whose care team has v2 as a participant).
/// </summary>
public sealed class SecuredServer : IAsyncLifetime
{
    public const string ExternalIssuer = "https://idp.example.test/";
    public static readonly string[] Letters = ["c", "r", "u", "d", "s"];

    public readonly BackendClient Admin = new("admin"), PatientA = new("patient-a"), Vendor1 = new("vendor-1"), Vendor2 = new("vendor-2"), Letter = new("letters");
    public readonly RsaSecurityKey IdpKey = new(RSA.Create(2048)) { KeyId = "idp-key" };
    private readonly string _jwks = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N") + ".jwks.json");
    private readonly Dictionary<string, HttpClient> _clients = [];
    public FhirServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_jwks)!);
        var p = IdpKey.Rsa.ExportParameters(false);
        await File.WriteAllTextAsync(_jwks, new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["kty"] = "RSA", ["kid"] = "idp-key", ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) }) }.ToJsonString());
        var settings = SecureSettings.With(
            Admin.Registration(0, ["system/*.cruds"]),
            PatientA.Registration(1, ["patient/*.cruds"], patient: "Patient/pa"),
            Vendor1.Registration(2, ["system/*.cruds"], vendor: "Organization/v1"),
            Vendor2.Registration(3, ["system/*.cruds"], vendor: "Organization/v2"),
            Letter.Registration(4, ["system/*.cruds"]));
        settings["Security:Issuer"] = ExternalIssuer;
        settings["Security:JwksPath"] = _jwks;
        Server = FhirServer.With(settings);
        var admin = await As(Admin, "system/*.cruds");
        foreach (var (url, json) in Seed)
        {
            var reply = await admin.FhirAsync(HttpMethod.Put, url, json, Wire.FhirJson);
            Assert.True(reply.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"{url}: {reply}");
        }
    }

    private static readonly (string Url, string Json)[] Seed =
    [
        ("Organization/v1", """{"resourceType":"Organization","id":"v1","name":"Vendor one"}"""),
        ("Organization/v2", """{"resourceType":"Organization","id":"v2","name":"Vendor two"}"""),
        ("Patient/pa", """{"resourceType":"Patient","id":"pa","name":[{"family":"Alpha"}]}"""),
        ("Patient/pb", """{"resourceType":"Patient","id":"pb","name":[{"family":"Bravo"}]}"""),
        ("Patient/pv", """{"resourceType":"Patient","id":"pv","name":[{"family":"Victor"}]}"""),
        ("Patient/pw", """{"resourceType":"Patient","id":"pw","name":[{"family":"Whiskey"}]}"""),
        ("Observation/oa", """{"resourceType":"Observation","id":"oa","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"a-code"}]},"subject":{"reference":"Patient/pa"}}"""),
        ("Observation/ob", """{"resourceType":"Observation","id":"ob","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"b-code"}]},"subject":{"reference":"Patient/pb"}}"""),
        ("Observation/ov", """{"resourceType":"Observation","id":"ov","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"v-code"}]},"subject":{"reference":"Patient/pv"}}"""),
        ("Task/tv1", """{"resourceType":"Task","id":"tv1","status":"requested","intent":"order","for":{"reference":"Patient/pv"},"owner":{"reference":"Organization/v1"}}"""),
        ("Task/tv2", """{"resourceType":"Task","id":"tv2","status":"requested","intent":"order","for":{"reference":"Patient/pv"},"owner":{"reference":"Organization/v2"}}"""),
        ("CareTeam/ct2", """{"resourceType":"CareTeam","id":"ct2","subject":{"reference":"Patient/pw"},"participant":[{"member":{"reference":"Organization/v2"}}]}"""),
        ("CarePlan/cp2", """{"resourceType":"CarePlan","id":"cp2","status":"active","intent":"plan","subject":{"reference":"Patient/pw"},"careTeam":[{"reference":"CareTeam/ct2"}]}"""),
    ];

    /// <summary>An HttpClient with a token for <paramref name="scope"/> from the embedded endpoint (one per client and scope).</summary>
    public async Task<HttpClient> As(BackendClient client, string scope)
    {
        var key = client.ClientId + " " + scope;
        lock (_clients) if (_clients.TryGetValue(key, out var cached)) return cached;
        var http = await client.HttpAsync(Server, scope);
        lock (_clients) _clients[key] = http;
        return http;
    }

    /// <summary>A token from the external issuer, signed with its key unless told otherwise.</summary>
    public string IdpToken(string scope = "system/*.rs", string issuer = ExternalIssuer, string audience = "fhircare", DateTime? expires = null,
        DateTime? notBefore = null, SecurityKey? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = "someone", ["client_id"] = "idp-client", ["scope"] = scope },
            IssuedAt = (notBefore ?? DateTime.UtcNow).AddMinutes(-1),
            NotBefore = notBefore ?? DateTime.UtcNow.AddMinutes(-1),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(key ?? IdpKey, SecurityAlgorithms.RsaSha256),
        });

    public Task DisposeAsync()
    {
        foreach (var http in _clients.Values) http.Dispose();
        Server.Dispose();
        File.Delete(_jwks);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredCollection : ICollectionFixture<SecuredServer>
{
    public const string Name = "secured";
}

/// <summary>Bearer token failures (401 with an OperationOutcome and the RFC 6750 challenge) and what stays open.</summary>
[Collection(SecuredCollection.Name)]
public sealed class BearerTokenTests(SecuredServer fixture)
{
    public static TheoryData<string> Failures => ["none", "expired", "not yet valid", "wrong audience", "wrong issuer", "bad signature", "alg none", "garbage"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_bad_or_missing_token_is_401_with_an_OperationOutcome(string what)
    {
        var token = what switch
        {
            "none" => null,
            "expired" => fixture.IdpToken(notBefore: DateTime.UtcNow.AddMinutes(-30), expires: DateTime.UtcNow.AddMinutes(-10)),
            "not yet valid" => fixture.IdpToken(notBefore: DateTime.UtcNow.AddMinutes(10), expires: DateTime.UtcNow.AddMinutes(20)),
            "wrong audience" => fixture.IdpToken(audience: "another-server"),
            "wrong issuer" => fixture.IdpToken(issuer: "https://evil.example.test/"),
            "bad signature" => fixture.IdpToken(key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "idp-key" }),
            "alg none" => Unsigned(fixture.IdpToken()),
            _ => "not.a.jwt",
        };
        var fingerprint = fixture.Server.Fingerprint();
        using var http = fixture.Server.Http();
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (method, url) in new[] { (HttpMethod.Get, "/Patient/pa"), (HttpMethod.Get, "/Observation"), (HttpMethod.Delete, "/Patient/pa") })
        {
            var reply = await http.FhirAsync(method, url);
            Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
            var challenge = reply.Message.Headers.WwwAuthenticate.Single();
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.Contains("error=\"invalid_token\"", challenge.Parameter);
            var outcome = reply.As<OperationOutcome>();
            Assert.Equal(OperationOutcome.IssueSeverity.Error, outcome.Issue[0].Severity);
            Assert.Equal(OperationOutcome.IssueType.Login, outcome.Issue[0].Code);
        }
        Assert.Equal(fingerprint, fixture.Server.Fingerprint());
    }

    /// <summary>The same claims with header {"alg":"none"} and no signature.</summary>
    private static string Unsigned(string jwt)
    {
        var parts = jwt.Split('.');
        return Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".";
    }

    [Fact]
    public async Task A_good_external_token_is_accepted_and_a_token_without_resource_scopes_is_403()
    {
        using var http = fixture.Server.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.IdpToken());
        Assert.Equal(HttpStatusCode.OK, (await http.FhirGetAsync("/Patient/pa")).Status);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.IdpToken(scope: "openid fhirUser"));
        var reply = await http.FhirGetAsync("/Patient/pa");
        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, reply.As<OperationOutcome>().Issue[0].Code);
    }

    [Theory]
    [InlineData("/metadata")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/.well-known/smart-configuration")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task Discovery_and_health_need_no_token(string path)
    {
        using var http = fixture.Server.Http();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
    }
}

/// <summary>
/// The generated matrix: for each scope letter (system/*.x) × each interaction × resource types taken from the served
/// set, the interaction is allowed exactly when the letter is the one it needs; otherwise 403 forbidden.
/// </summary>
[Collection(SecuredCollection.Name)]
public sealed class ScopeMatrixTests(SecuredServer fixture)
{
    private static readonly (string Name, string Needs, Func<string, (HttpMethod, string, string?)> Request)[] Interactions =
    [
        ("read", "r", t => (HttpMethod.Get, $"/{t}/x1", null)),
        ("vread", "r", t => (HttpMethod.Get, $"/{t}/x1/_history/1", null)),
        ("history-instance", "r", t => (HttpMethod.Get, $"/{t}/x1/_history", null)),
        ("search", "s", t => (HttpMethod.Get, $"/{t}?_id=x1", null)),
        ("history-type", "s", t => (HttpMethod.Get, $"/{t}/_history", null)),
        ("create", "c", t => (HttpMethod.Post, $"/{t}", $$"""{"resourceType":"{{t}}"}""")),
        ("update", "u", t => (HttpMethod.Put, $"/{t}/x1", $$"""{"resourceType":"{{t}}","id":"x1"}""")),
        ("delete", "d", t => (HttpMethod.Delete, $"/{t}/x1", null)),
    ];

    /// <summary>Every 12th served type (in name order) and Patient: a spread across the registry, not a hand-picked list.</summary>
    private static IEnumerable<string> Types => ResourceTypes.Served.Order(StringComparer.Ordinal).Where((_, i) => i % 12 == 0).Append("Patient").Distinct();

    public static TheoryData<string, string, string> Matrix
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var letter in SecuredServer.Letters)
                foreach (var interaction in Interactions)
                    foreach (var type in Types)
                        data.Add(letter, interaction.Name, type);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task An_interaction_is_allowed_exactly_by_its_scope_letter(string letter, string interaction, string type)
    {
        var http = await fixture.As(fixture.Letter, $"system/*.{letter}");
        var (name, needs, request) = Interactions.Single(i => i.Name == interaction);
        var (method, url, body) = request(type);
        var reply = body is null ? await http.FhirAsync(method, url) : await http.FhirAsync(method, url, body, Wire.FhirJson);
        if (needs == letter) Assert.NotEqual(HttpStatusCode.Forbidden, reply.Status);
        else
        {
            Assert.True(reply.Status == HttpStatusCode.Forbidden, $"{name} {type} with system/*.{letter}: {reply}");
            Assert.Equal(OperationOutcome.IssueType.Forbidden, reply.As<OperationOutcome>().Issue[0].Code);
        }
    }

    [Fact]
    public async Task A_type_scope_allows_that_type_only_and_v1_read_means_rs()
    {
        var http = await fixture.As(fixture.Letter, "system/Observation.read");
        Assert.Equal(HttpStatusCode.OK, (await http.FhirGetAsync("/Observation/oa")).Status);
        Assert.Equal(HttpStatusCode.OK, (await http.FhirGetAsync("/Observation?code=a-code")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.FhirGetAsync("/Patient/pa")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.FhirAsync(HttpMethod.Delete, "/Observation/oa")).Status);
        // An _include of a type the token may not read adds nothing.
        var bundle = (await http.FhirGetAsync("/Observation?_id=oa&_include=Observation:subject")).As<Bundle>();
        Assert.Equal(["Observation/oa"], bundle.Entry.Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}"));
    }
}

/// <summary>Patient-context and vendor tokens see nothing outside their context, through any path.</summary>
[Collection(SecuredCollection.Name)]
public sealed class IsolationTests(SecuredServer fixture)
{
    private Task<HttpClient> PatientA => fixture.As(fixture.PatientA, "patient/*.rs");
    private Task<HttpClient> Vendor1 => fixture.As(fixture.Vendor1, "system/*.cruds");
    private Task<HttpClient> Vendor2 => fixture.As(fixture.Vendor2, "system/*.rs");

    private static async Task<List<string>> IdsAsync(HttpClient http, string url)
    {
        var reply = await http.FhirGetAsync(url);
        Assert.True(reply.Status == HttpStatusCode.OK, $"{url}: {reply}");
        // AuditEvents about the patient are in its compartment too (part B); these tests look at the clinical data.
        return reply.As<Bundle>().Entry.Where(e => e.Resource is not (OperationOutcome or AuditEvent)).Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}").Order().ToList();
    }

    [Theory]
    [InlineData("/Patient/pb")]
    [InlineData("/Observation/ob")]
    [InlineData("/Observation/ob/_history/1")]
    [InlineData("/Observation/ob/_history")]
    [InlineData("/Organization/v1")]
    [InlineData("/Patient/pb/$everything")]
    [InlineData("/Patient/nonexistent")]
    public async Task Another_patients_data_reads_as_not_found(string url)
    {
        var reply = await (await PatientA).FhirGetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Equal(OperationOutcome.IssueType.NotFound, reply.As<OperationOutcome>().Issue[0].Code);
    }

    [Theory]
    [InlineData("/Observation", "Observation/oa")]
    [InlineData("/Observation?_total=accurate", "Observation/oa")]
    [InlineData("/Patient", "Patient/pa")]
    [InlineData("/Observation?_include=Observation:subject", "Observation/oa Patient/pa")]
    [InlineData("/Patient?_revinclude=Observation:subject", "Observation/oa Patient/pa")]
    [InlineData("/Observation?subject:Patient.family=Bravo", "")]
    [InlineData("/Patient?_has:Observation:subject:code=b-code", "")]
    [InlineData("/Patient/pb/Observation", "")]
    [InlineData("/Observation/_history", "Observation/oa")]
    [InlineData("/_history", "Observation/oa Patient/pa")]
    [InlineData("/?_type=Patient,Observation,Task", "Observation/oa Patient/pa")]
    [InlineData("/Patient/pa/$everything", "Observation/oa Patient/pa")]
    public async Task A_patient_token_finds_only_its_compartment(string url, string expected)
    {
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToList(), await IdsAsync(await PatientA, url));
    }

    [Fact]
    public async Task A_patient_token_cannot_write_into_another_record_or_export()
    {
        var http = await fixture.As(fixture.PatientA, "patient/*.cruds");
        var fingerprint = fixture.Server.Fingerprint();
        var other = await http.FhirAsync(HttpMethod.Post, "/Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pb"}}""", Wire.FhirJson);
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.FhirAsync(HttpMethod.Put, "/Observation/ob", """{"resourceType":"Observation","id":"ob","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}}""", Wire.FhirJson)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.FhirAsync(HttpMethod.Delete, "/Observation/ob")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.FhirGetAsync("/$export", ("Prefer", "respond-async"))).Status);
        var transaction = """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:00000000-0000-0000-0000-000000000001","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pb"}},"request":{"method":"POST","url":"Observation"}}]}
            """;
        Assert.Equal(HttpStatusCode.Forbidden, (await http.FhirAsync(HttpMethod.Post, "/", transaction, Wire.FhirJson)).Status);
        Assert.Equal(fingerprint, fixture.Server.Fingerprint());
    }

    [Fact]
    public async Task Batch_entries_are_checked_one_by_one()
    {
        var batch = """
            {"resourceType":"Bundle","type":"batch","entry":[
              {"request":{"method":"GET","url":"Observation/oa"}},
              {"request":{"method":"GET","url":"Observation/ob"}},
              {"request":{"method":"GET","url":"Observation?code=b-code"}},
              {"request":{"method":"GET","url":"Task"}}]}
            """;
        var reply = await (await PatientA).FhirAsync(HttpMethod.Post, "/", batch, Wire.FhirJson);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var entries = reply.As<Bundle>().Entry;
        Assert.Equal(["200 OK", "404 Not Found", "200 OK", "200 OK"], entries.Select(e => e.Response.Status));
        Assert.Equal(0, ((Bundle)entries[2].Resource).Entry.Count);
        Assert.Equal(0, ((Bundle)entries[3].Resource).Entry.Count);
    }

    [Theory]
    [InlineData("v1", "/Patient", "Patient/pv")]
    [InlineData("v1", "/Task", "Task/tv1")]
    [InlineData("v1", "/Observation", "Observation/ov")]
    [InlineData("v1", "/Organization", "Organization/v1")]
    [InlineData("v1", "/Task?_include=Task:patient", "Patient/pv Task/tv1")]
    [InlineData("v1", "/Patient?_revinclude=Task:patient", "Patient/pv Task/tv1")]
    [InlineData("v1", "/Observation?subject:Patient.family=Alpha", "")]
    [InlineData("v1", "/Patient?_has:Observation:subject:code=a-code", "")]
    [InlineData("v1", "/Task/_history", "Task/tv1")]
    [InlineData("v1", "/Patient/pv/$everything", "Observation/ov Organization/v1 Patient/pv Task/tv1")]
    [InlineData("v2", "/Patient", "Patient/pv Patient/pw")]
    [InlineData("v2", "/Task", "Task/tv2")]
    [InlineData("v2", "/CarePlan", "CarePlan/cp2")]
    public async Task A_vendor_sees_only_its_members_and_tasks(string vendor, string url, string expected)
    {
        var http = vendor == "v1" ? await Vendor1 : await Vendor2;
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToList(), await IdsAsync(http, url));
    }

    [Theory]
    [InlineData("/Task/tv2")]
    [InlineData("/Patient/pa")]
    [InlineData("/Observation/oa")]
    [InlineData("/Organization/v2")]
    public async Task Other_vendors_data_reads_as_not_found(string url) =>
        Assert.Equal(HttpStatusCode.NotFound, (await (await Vendor1).FhirGetAsync(url)).Status);

    [Fact]
    public async Task A_vendor_writes_only_within_its_members()
    {
        var http = await Vendor1;
        var fingerprint = fixture.Server.Fingerprint();
        Assert.Equal(HttpStatusCode.Forbidden, (await http.FhirAsync(HttpMethod.Post, "/Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}}""", Wire.FhirJson)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.FhirAsync(HttpMethod.Put, "/Patient/pa", """{"resourceType":"Patient","id":"pa","active":false}""", Wire.FhirJson)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.FhirAsync(HttpMethod.Delete, "/Task/tv2")).Status);
        // Conditional update whose criteria match only someone else's patient finds nothing to update.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.FhirAsync(HttpMethod.Put, "/Patient?family=Alpha", """{"resourceType":"Patient","active":false}""", Wire.FhirJson)).Status);
        Assert.Equal(fingerprint, fixture.Server.Fingerprint());
        var created = await http.FhirAsync(HttpMethod.Post, "/Observation", """{"resourceType":"Observation","status":"final","code":{"text":"by vendor"},"subject":{"reference":"Patient/pv"}}""", Wire.FhirJson);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.NoContent, (await http.FhirAsync(HttpMethod.Delete, created.Location!.Split("/_history")[0].Replace(fixture.Server.BaseAddress.ToString().TrimEnd('/'), ""))).Status);
    }
}
