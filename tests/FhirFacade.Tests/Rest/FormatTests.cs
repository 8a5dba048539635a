using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>Content negotiation (http.html#mime-type, #general-parameters) and _summary/_elements (search.html#summary, #elements).</summary>
[Collection(ServerCollection.Name)]
public sealed class FormatTests(FhirServer server)
{
    private static readonly FhirJsonDeserializer JsonDeserializer = new();
    private static readonly FhirXmlDeserializer XmlDeserializer = new();
    private static readonly FhirJsonSerializer JsonSerializer = new();
    private static readonly FhirXmlSerializer XmlSerializer = new();
    private const string Subsetted = "SUBSETTED";
    private const string ObservationValue = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

    public enum Format { Json, Xml }

    private static Format FormatOf(string mediaType) => mediaType.Contains("xml") ? Format.Xml : Format.Json;

    private static Resource Parse(string body, Format format) =>
        format == Format.Json ? JsonDeserializer.DeserializeResource(body) : XmlDeserializer.DeserializeResource(body);

    private static Patient RichPatient(string family) => new()
    {
        Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann {family}</div>" },
        Identifier = [new Identifier("urn:oid:1.2.36.146.595.217.0.1", $"{family}-1")],
        Active = true,
        Name = [new HumanName { Family = family, Given = ["Ann"] }],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, "555-0100")],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-02-03",
        Address = [new Address { City = "Leeds", Country = "UK" }],
        MaritalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M"),
        Contact = [new Patient.ContactComponent { Name = new HumanName { Family = "Kin" } }],
        Communication = [new Patient.CommunicationComponent { Language = new CodeableConcept("urn:ietf:bcp:47", "en") }],
        Photo = [new Attachment { ContentType = "image/png", Data = [1, 2, 3] }],
        GeneralPractitioner = [new ResourceReference("Practitioner/gp-1")],
        ManagingOrganization = new ResourceReference("Organization/org-1"),
    };

    private async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpMethod method, string url,
        string? accept = null, string? body = null, string? contentType = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType!);
        var response = await server.Http().SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private async Task<Patient> CreateAsync(Patient patient)
    {
        var (response, body) = await SendAsync(HttpMethod.Post, "Patient", body: JsonSerializer.SerializeToString(patient), contentType: "application/fhir+json");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Assert.IsType<Patient>(JsonDeserializer.DeserializeResource(body));
    }

    private static Resource AssertFormat(HttpResponseMessage response, string body, Format expected)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.Equal(expected == Format.Json ? "application/fhir+json" : "application/fhir+xml", mediaType);
        Assert.StartsWith(expected == Format.Json ? "{" : "<", body.TrimStart());
        return Parse(body, expected);
    }

    private static readonly string[] MediaTypes = ["application/fhir+json", "application/fhir+xml", "application/json", "application/xml"];

    public static TheoryData<string, string> MediaTypePairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var contentType in MediaTypes)
            foreach (var accept in MediaTypes)
                data.Add(contentType, accept);
        return data;
    }

    [Theory]
    [MemberData(nameof(MediaTypePairs))]
    public async Task Create_and_read_with_each_request_and_response_media_type(string contentType, string accept)
    {
        var family = $"Fmt{Guid.NewGuid():N}"[..20];
        var patient = RichPatient(family);
        var body = FormatOf(contentType) == Format.Json ? JsonSerializer.SerializeToString(patient) : XmlSerializer.SerializeToString(patient);
        var (created, createdBody) = await SendAsync(HttpMethod.Post, "Patient", accept, body, contentType);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(FormatOf(accept) == Format.Json ? "application/fhir+json" : "application/fhir+xml", created.Content.Headers.ContentType?.MediaType);
        var stored = Assert.IsType<Patient>(Parse(createdBody, FormatOf(accept)));
        Assert.Equal(family, stored.Name[0].Family);
        Assert.Equal(patient.Photo[0].Data, stored.Photo[0].Data);

        var (read, readBody) = await SendAsync(HttpMethod.Get, $"Patient/{stored.Id}", accept);
        var again = AssertFormat(read, readBody, FormatOf(accept));
        Assert.True(stored.IsExactly(again));
    }

    [Theory]
    [InlineData("json", Format.Json)]
    [InlineData("xml", Format.Xml)]
    [InlineData("application/fhir+json", Format.Json)]
    [InlineData("application/fhir+xml", Format.Xml)]
    [InlineData("application/json", Format.Json)]
    [InlineData("application/xml", Format.Xml)]
    public async Task Format_parameter_selects_the_format_over_the_Accept_header(string format, Format expected)
    {
        var patient = await CreateAsync(RichPatient("FormatParam"));
        var otherAccept = expected == Format.Json ? "application/fhir+xml" : "application/fhir+json";
        var query = $"_format={Uri.EscapeDataString(format)}";

        var (read, readBody) = await SendAsync(HttpMethod.Get, $"Patient/{patient.Id}?{query}", otherAccept);
        Assert.True(patient.IsExactly(AssertFormat(read, readBody, expected)));

        var (search, searchBody) = await SendAsync(HttpMethod.Get, $"Patient?_id={patient.Id}&{query}", otherAccept);
        var bundle = Assert.IsType<Bundle>(AssertFormat(search, searchBody, expected));
        Assert.Equal(patient.Id, Assert.Single(bundle.Entry).Resource.Id);
    }

    [Theory]
    [InlineData("application/fhir+json; fhirVersion=4.0", Format.Json)]
    [InlineData("application/fhir+xml; charset=utf-8", Format.Xml)]
    [InlineData("text/html, application/fhir+xml;q=0.9", Format.Xml)]
    [InlineData("application/fhir+json;q=0.5, application/fhir+xml", Format.Xml)]
    [InlineData("*/*", Format.Json)]
    public async Task Accept_header_negotiates_the_format(string accept, Format expected)
    {
        var patient = await CreateAsync(RichPatient("Accept"));
        var (read, body) = await SendAsync(HttpMethod.Get, $"Patient/{patient.Id}", accept);
        Assert.True(patient.IsExactly(AssertFormat(read, body, expected)));
    }

    [Theory]
    [InlineData("Patient/{id}", "text/html", null)]
    [InlineData("Patient/{id}", "application/fhir+json; fhirVersion=3.0", null)]
    [InlineData("Patient/{id}", null, "csv")]
    [InlineData("Patient?_id={id}", "text/html", null)]
    [InlineData("Patient?_id={id}", null, "csv")]
    [InlineData("metadata", "text/html", null)]
    [InlineData("metadata", null, "csv")]
    public async Task Unservable_format_is_refused_with_406(string path, string? accept, string? format)
    {
        var patient = await CreateAsync(RichPatient("NotAcceptable"));
        var url = path.Replace("{id}", patient.Id);
        if (format is not null) url += (url.Contains('?') ? "&" : "?") + "_format=" + format;
        var (response, body) = await SendAsync(HttpMethod.Get, url, accept);
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        var outcome = Assert.IsType<OperationOutcome>(Parse(body, FormatOf(response.Content.Headers.ContentType?.MediaType ?? "")));
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
    }

    public static TheoryData<string, string, string?, HttpStatusCode> UnservableWriteCases()
    {
        var data = new TheoryData<string, string, string?, HttpStatusCode>();
        foreach (var method in new[] { "POST", "PUT", "PATCH" })
        {
            data.Add(method, "", "text/html", HttpStatusCode.NotAcceptable);
            data.Add(method, "_format=csv", null, HttpStatusCode.NotAcceptable);
            data.Add(method, "_pretty=yes", null, HttpStatusCode.BadRequest);
            data.Add(method, "_summary=everything", null, HttpStatusCode.BadRequest);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(UnservableWriteCases))]
    public async Task Write_with_an_unservable_response_shape_is_refused_before_anything_is_stored(string method, string query, string? accept, HttpStatusCode expected)
    {
        var existing = await CreateAsync(RichPatient("UnservableWrite"));
        existing.Gender = AdministrativeGender.Male;
        var (path, body, contentType) = method switch
        {
            "POST" => ("Patient", JsonSerializer.SerializeToString(RichPatient("UnservableWrite")), "application/fhir+json"),
            "PUT" => ($"Patient/{existing.Id}", JsonSerializer.SerializeToString(existing), "application/fhir+json"),
            _ => ($"Patient/{existing.Id}", """[{"op":"replace","path":"/gender","value":"male"}]""", "application/json-patch+json"),
        };
        var before = server.Fingerprint();
        var (response, responseBody) = await SendAsync(new HttpMethod(method), query.Length > 0 ? $"{path}?{query}" : path, accept, body, contentType);
        Assert.Equal(expected, response.StatusCode);
        Assert.IsType<OperationOutcome>(JsonDeserializer.DeserializeResource(responseBody));
        Assert.Equal(before, server.Fingerprint());
    }

    public static TheoryData<Format, bool> FormatsAndTargets() => new()
    {
        { Format.Json, false }, { Format.Xml, false }, { Format.Json, true }, { Format.Xml, true },
    };

    [Theory]
    [MemberData(nameof(FormatsAndTargets))]
    public async Task Pretty_output_is_indented_and_parses_to_the_same_resource(Format format, bool search)
    {
        var patient = await CreateAsync(RichPatient("Pretty"));
        var url = search ? $"Patient?_id={patient.Id}&_format={format.ToString().ToLowerInvariant()}" : $"Patient/{patient.Id}?_format={format.ToString().ToLowerInvariant()}";

        var (plainResponse, plain) = await SendAsync(HttpMethod.Get, url + "&_pretty=false");
        var (prettyResponse, pretty) = await SendAsync(HttpMethod.Get, url + "&_pretty=true");
        var plainResource = AssertFormat(plainResponse, plain, format);
        var prettyResource = AssertFormat(prettyResponse, pretty, format);

        var lines = pretty.Split('\n');
        Assert.True(lines.Length > 10, $"expected indented output, got {lines.Length} lines");
        Assert.Contains(lines, l => l.StartsWith("  ") || l.StartsWith('\t'));
        Assert.DoesNotContain('\n', plain.Trim());
        if (search)
        {
            var (a, b) = ((Bundle)plainResource, (Bundle)prettyResource);
            Assert.True(Assert.Single(a.Entry).Resource.IsExactly(Assert.Single(b.Entry).Resource));
        }
        else Assert.True(plainResource.IsExactly(prettyResource));
    }

    private static readonly string[] SummaryTrue = ["id", "meta", "identifier", "active", "name", "telecom", "gender", "birthDate", "address", "managingOrganization"];
    private static readonly string[] NotSummary = ["maritalStatus", "contact", "communication", "photo", "generalPractitioner"];
    private static readonly string[] AllElements = ["text", .. SummaryTrue, .. NotSummary];

    public static TheoryData<string, Format, bool> SummaryCases()
    {
        var data = new TheoryData<string, Format, bool>();
        foreach (var summary in new[] { "true", "text", "data", "false" })
            foreach (var format in Enum.GetValues<Format>())
                foreach (var search in new[] { false, true })
                    data.Add(summary, format, search);
        return data;
    }

    private static (string[] Present, string[] Absent, bool Subsetted) SummaryExpectation(string summary) => summary switch
    {
        "true" => (SummaryTrue, ["text", .. NotSummary], true),
        "text" => (["id", "meta", "text"], AllElements.Except(["id", "meta", "text"]).ToArray(), true),
        "data" => (AllElements.Except(["text"]).ToArray(), ["text"], true),
        _ => (AllElements, [], false),
    };

    private async Task<Resource> FetchShapedAsync(Patient patient, string parameters, Format format, bool search)
    {
        var f = format.ToString().ToLowerInvariant();
        var url = search ? $"Patient?_id={patient.Id}&{parameters}&_format={f}" : $"Patient/{patient.Id}?{parameters}&_format={f}";
        var (response, body) = await SendAsync(HttpMethod.Get, url);
        var resource = AssertFormat(response, body, format);
        if (!search) return resource;
        var bundle = Assert.IsType<Bundle>(resource);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(bundle.Entry).Resource;
    }

    private static void AssertElements(Resource resource, IEnumerable<string> present, IEnumerable<string> absent, bool subsetted)
    {
        var names = resource.EnumerateElements().Select(e => e.Key).ToHashSet();
        Assert.All(present, name => Assert.Contains(name, names));
        Assert.All(absent, name => Assert.DoesNotContain(name, names));
        var tags = resource.Meta?.Tag.Where(t => t.Code == Subsetted).Select(t => t.System).ToList() ?? [];
        if (subsetted) Assert.Contains(ObservationValue, tags);
        else Assert.Empty(tags);
    }

    [Theory]
    [MemberData(nameof(SummaryCases))]
    public async Task Summary_keeps_the_elements_the_spec_defines(string summary, Format format, bool search)
    {
        var patient = await CreateAsync(RichPatient("Summary"));
        var resource = await FetchShapedAsync(patient, $"_summary={summary}", format, search);
        Assert.IsType<Patient>(resource);
        Assert.Equal(patient.Id, resource.Id);
        var (present, absent, subsetted) = SummaryExpectation(summary);
        AssertElements(resource, present, absent, subsetted);
        if (summary == "false") Assert.True(patient.IsExactly(resource));
        else Assert.Equal(patient.Meta.VersionId, resource.Meta.VersionId);
    }

    public static TheoryData<string, bool> SubsettingParameters()
    {
        var data = new TheoryData<string, bool>();
        foreach (var parameters in new[] { "_summary=true", "_summary=text", "_summary=data", "_elements=name,gender" })
            foreach (var search in new[] { false, true })
                data.Add(parameters, search);
        return data;
    }

    [Theory]
    [MemberData(nameof(SubsettingParameters))]
    public async Task Subsetted_tag_appears_once_and_in_the_R4_code_system(string parameters, bool search)
    {
        var patient = await CreateAsync(RichPatient("SubsettedTag"));
        var resource = await FetchShapedAsync(patient, parameters, Format.Json, search);
        var tag = Assert.Single(resource.Meta?.Tag ?? [], t => t.Code == Subsetted);
        Assert.Equal(ObservationValue, tag.System);
    }

    [Theory]
    [InlineData(Format.Json)]
    [InlineData(Format.Xml)]
    public async Task Summary_count_gives_the_total_and_no_entries(Format format)
    {
        var family = $"Count{Guid.NewGuid():N}"[..20];
        for (var i = 0; i < 3; i++) await CreateAsync(RichPatient(family));
        var (response, body) = await SendAsync(HttpMethod.Get, $"Patient?family={family}&_summary=count&_format={format.ToString().ToLowerInvariant()}");
        var bundle = Assert.IsType<Bundle>(AssertFormat(response, body, format));
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        Assert.Equal(3, bundle.Total);
        Assert.DoesNotContain(bundle.Entry, e => e.Resource is Patient);
    }

    [Theory]
    [MemberData(nameof(FormatsAndTargets))]
    public async Task Elements_keeps_only_the_listed_elements(Format format, bool search)
    {
        var patient = await CreateAsync(RichPatient("Elements"));
        var resource = await FetchShapedAsync(patient, "_elements=name,gender", format, search);
        var shaped = Assert.IsType<Patient>(resource);
        Assert.Equal(patient.Id, shaped.Id);
        AssertElements(shaped, ["id", "meta", "name", "gender"], AllElements.Except(["id", "meta", "name", "gender"]), subsetted: true);
        Assert.Equal("Elements", shaped.Name[0].Family);
        Assert.Equal(AdministrativeGender.Female, shaped.Gender);
    }
}
