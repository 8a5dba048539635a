using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>
/// $export kick-off parameters of the Bulk Data IG v2 (export.html#query-parameters) beyond the basics: POST with a
/// Parameters body, _elements (SUBSETTED), patient, includeAssociatedData, and the error file (OperationOutcome NDJSON)
/// for what an export could not do.
/// </summary>
public sealed class BulkExportParameterTests(SyntheaLoad load) : IClassFixture<SyntheaLoad>
{
    private static readonly (string, string) Async = ("Prefer", "respond-async");
    private static readonly (string, string) Lenient = ("Prefer", "respond-async, handling=lenient");

    private static string Body(params (string Name, string Json)[] parameters) =>
        $"{{\"resourceType\":\"Parameters\",\"parameter\":[{string.Join(',', parameters.Select(p => $"{{\"name\":\"{p.Name}\",{p.Json}}}"))}]}}";

    private async Task<JsonNode> PostAsync(string url, string body, (string, string)? prefer = null)
    {
        var http = load.Server.Http();
        var reply = await http.FhirAsync(HttpMethod.Post, url, body, Wire.FhirJson, prefer ?? Async);
        Assert.True(reply.Status == HttpStatusCode.Accepted, reply.ToString());
        return await BulkExportTests.ManifestAsync(http, reply.Message.Content.Headers.ContentLocation!.ToString());
    }

    private async Task<JsonNode> GetAsync(string url, (string, string) prefer)
    {
        var http = load.Server.Http();
        var reply = await http.FhirGetAsync(url, prefer);
        Assert.True(reply.Status == HttpStatusCode.Accepted, reply.ToString());
        return await BulkExportTests.ManifestAsync(http, reply.Message.Content.Headers.ContentLocation!.ToString());
    }

    /// <summary>The manifest's error files, fetched: every line an OperationOutcome.</summary>
    private async Task<List<OperationOutcome>> ErrorsAsync(JsonNode manifest)
    {
        var outcomes = new List<OperationOutcome>();
        foreach (var file in manifest["error"]!.AsArray())
        {
            Assert.Equal("OperationOutcome", (string?)file!["type"]);
            var response = await load.Server.Http().GetAsync((string)file["url"]!);
            Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType?.MediaType);
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal((int)file["count"]!, lines.Length);
            outcomes.AddRange(lines.Select(l => new FhirJsonDeserializer().Deserialize<OperationOutcome>(l)));
        }
        return outcomes;
    }

    [Fact]
    public async Task A_POST_kick_off_with_Parameters_exports_what_the_same_GET_does()
    {
        var filter = "Observation?status=final";
        var viaGet = await BulkExportTests.FilesAsync(load.Server.Http(),
            await BulkExportTests.ExportAsync(load.Server, $"Patient/$export?_type=Patient,Observation&_typeFilter={Uri.EscapeDataString(filter)}"));
        var manifest = await PostAsync("Patient/$export", Body(
            ("_type", "\"valueString\":\"Patient\""), ("_type", "\"valueString\":\"Observation\""),
            ("_typeFilter", $"\"valueString\":\"{filter}\""), ("_outputFormat", "\"valueString\":\"ndjson\""),
            ("_since", "\"valueInstant\":\"2000-01-01T00:00:00Z\"")));
        Assert.EndsWith("/Patient/$export", (string?)manifest["request"]); // a POST's parameters are not in the URL
        var viaPost = await BulkExportTests.FilesAsync(load.Server.Http(), manifest);
        Assert.Equal(viaGet.Keys.Order(), viaPost.Keys.Order());
        foreach (var (type, ids) in viaGet) Assert.Equal(ids.Order(), viaPost[type].Order());
        Assert.Empty(manifest["error"]!.AsArray());
    }

    [Fact]
    public async Task Elements_keep_the_listed_and_mandatory_elements_and_tag_the_resources_subsetted()
    {
        var manifest = await BulkExportTests.ExportAsync(load.Server, "$export?_type=Patient,Observation,Practitioner&_elements=Patient.gender,code");
        var http = load.Server.Http();
        var seen = new HashSet<string>();
        foreach (var output in manifest["output"]!.AsArray())
        {
            var text = await http.GetStringAsync((string)output!["url"]!);
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var resource = JsonNode.Parse(line)!.AsObject();
                var type = (string)resource["resourceType"]!;
                seen.Add(type);
                var keys = resource.Select(p => p.Key).Where(k => k is not ("resourceType" or "id" or "meta")).Order().ToArray();
                var subsetted = resource["meta"]?["tag"]?.AsArray().Any(t => (string?)t!["code"] == "SUBSETTED"
                    && (string?)t["system"] == "http://terminology.hl7.org/CodeSystem/v3-ObservationValue") == true;
                switch (type)
                {
                    case "Patient":
                        Assert.Equal(["gender"], keys);
                        Assert.True(subsetted);
                        break;
                    case "Observation": // status is mandatory (1..1)
                        Assert.Equal(["code", "status"], keys);
                        Assert.True(subsetted);
                        break;
                    default: // no listed element applies: whole
                        Assert.Contains("name", keys);
                        Assert.False(subsetted);
                        break;
                }
            }
        }
        Assert.Equal(["Observation", "Patient", "Practitioner"], seen.Order().ToArray());
    }

    [Fact]
    public async Task The_patient_parameter_narrows_a_patient_export_and_unknown_patients_are_reported_in_the_error_file()
    {
        var (first, counts) = load.PatientRecords[SyntheaLoad.Patients[0]];
        var manifest = await PostAsync("Patient/$export", Body(
            ("_type", "\"valueString\":\"Patient,Encounter\""),
            ("patient", $"\"valueReference\":{{\"reference\":\"Patient/{first}\"}}"),
            ("patient", "\"valueReference\":{\"reference\":\"Patient/nobody-here\"}")));
        var files = await BulkExportTests.FilesAsync(load.Server.Http(), manifest);
        Assert.Equal([first], files["Patient"]);
        Assert.Equal(counts["Encounter"], files["Encounter"].Count);
        var error = Assert.Single(await ErrorsAsync(manifest));
        var issue = Assert.Single(error.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        Assert.Equal(IssueType.NotFound, issue.Code);
        Assert.Contains("Patient/nobody-here", issue.Diagnostics);
    }

    [Fact]
    public async Task The_patient_parameter_on_a_group_export_keeps_members_only()
    {
        var (first, _) = load.PatientRecords[SyntheaLoad.Patients[0]];
        var (second, _) = load.PatientRecords[SyntheaLoad.Patients[1]];
        var group = new Group { Type = Group.GroupType.Person, Actual = true, Member = [new Group.MemberComponent { Entity = new ResourceReference($"Patient/{first}") }] };
        var groupId = (await load.Server.Http().FhirAsync(HttpMethod.Post, "Group", group)).As<Group>().Id;
        var manifest = await PostAsync($"Group/{groupId}/$export", Body(("_type", "\"valueString\":\"Patient\""),
            ("patient", $"\"valueReference\":{{\"reference\":\"Patient/{first}\"}}"), ("patient", $"\"valueReference\":{{\"reference\":\"Patient/{second}\"}}")));
        Assert.Equal([first], (await BulkExportTests.FilesAsync(load.Server.Http(), manifest))["Patient"]);
        var issue = Assert.Single(Assert.Single(await ErrorsAsync(manifest)).Issue);
        Assert.Contains($"Patient/{second} is not a member of Group/{groupId}", issue.Diagnostics);
    }

    [Fact]
    public async Task Under_lenient_handling_what_cannot_be_done_goes_to_the_error_file()
    {
        var manifest = await GetAsync("Patient/$export?_type=Patient,Observation&includeAssociatedData=LatestProvenanceResources&_typeFilter="
            + Uri.EscapeDataString("Observation?nonsense=1"), Lenient);
        var files = await BulkExportTests.FilesAsync(load.Server.Http(), manifest);
        Assert.Equal(["Patient"], files.Keys.ToArray()); // Observation left out: its filter cannot be evaluated
        var issues = (await ErrorsAsync(manifest)).Select(o => Assert.Single(o.Issue)).ToList();
        Assert.Equal(2, issues.Count);
        Assert.Contains(issues, i => i.Severity == OperationOutcome.IssueSeverity.Warning && i.Code == IssueType.NotSupported
            && i.Diagnostics.Contains("LatestProvenanceResources") && i.Expression.Contains("includeAssociatedData"));
        Assert.Contains(issues, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Code == IssueType.NotSupported
            && i.Diagnostics.StartsWith("No Observation was exported", StringComparison.Ordinal) && i.Diagnostics.Contains("nonsense"));
    }

    [Fact]
    public async Task Bad_POST_kick_offs_are_refused_precisely()
    {
        async Task Refused(string url, string? body, IssueType code, string expression, string? contentType = Wire.FhirJson) =>
            await load.Server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, url, body, contentType, Async), 400, code, expression);
        await Refused("$export", "{\"resourceType\":\"Patient\",\"active\":true}", IssueType.Invalid, "resourceType");
        await Refused("$export", null, IssueType.Required, "Parameters", null);
        await Refused("$export", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":", IssueType.Structure, null!);
        await Refused("$export", Body(("_type", "\"valueInteger\":3")), IssueType.Invalid, "Parameters.parameter[0].value[x]");
        await Refused("$export", Body(("_since", "\"valueString\":\"2020-01-01T00:00:00Z\"")), IssueType.Invalid, "Parameters.parameter[0].value[x]");
        await Refused("Patient/$export", Body(("patient", "\"valueString\":\"Patient/1\"")), IssueType.Invalid, "Parameters.parameter[0].value[x]");
        await Refused("$export", Body(("_type", "\"valueString\":\"Patient\""), ("colour", "\"valueString\":\"blue\"")), IssueType.NotSupported, "Parameters.parameter[1].value");
        await Refused("$export", Body(("_since", "\"valueInstant\":\"2020-01-01T00:00:00Z\""), ("_since", "\"valueInstant\":\"2021-01-01T00:00:00Z\"")), IssueType.Invalid, "Parameters.parameter[1].value");
        await Refused("$export", Body(("_elements", "\"valueString\":\"Patient.name.family\"")), IssueType.Invalid, "Parameters.parameter[0].value");
        await Refused("$export", Body(("patient", "\"valueReference\":{\"reference\":\"Patient/1\"}")), IssueType.NotSupported, "Parameters.parameter[0].value.reference");
        await Refused("Patient/$export", Body(("includeAssociatedData", "\"valueCode\":\"RelevantProvenanceResources\"")), IssueType.NotSupported, "Parameters.parameter[0].value");
        await Refused("$export?_type=Patient", Body(("_type", "\"valueString\":\"Patient\"")), IssueType.Invalid, "_type");
        await Refused("$export", Body(("_type", "\"valueString\":\"Unicorn\"")), IssueType.Invalid, "Parameters.parameter[0].value");
    }
}
