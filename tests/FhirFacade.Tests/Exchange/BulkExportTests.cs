using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>Bulk Data $export (Bulk Data IG v2): kick-off, status, manifest, NDJSON files, cancel, restart, bad input.</summary>
public sealed class BulkExportTests(SyntheaLoad load) : IClassFixture<SyntheaLoad>
{
    private static readonly (string, string) Async = ("Prefer", "respond-async");

    /// <summary>Kicks off, checks the 202 and Content-Location, and polls until the manifest (200).</summary>
    public static async Task<JsonNode> ExportAsync(FhirServer server, string kickOff)
    {
        var http = server.Http();
        var reply = await http.FhirGetAsync(kickOff, Async);
        Assert.True(reply.Status == HttpStatusCode.Accepted, reply.ToString());
        var status = reply.Message.Content.Headers.ContentLocation?.ToString();
        Assert.NotNull(status);
        return await ManifestAsync(http, status);
    }

    public static async Task<JsonNode> ManifestAsync(HttpClient http, string status)
    {
        for (var i = 0; i < 600; i++)
        {
            var poll = await http.GetAsync(status);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("application/json", poll.Content.Headers.ContentType?.MediaType);
                return JsonNode.Parse(await poll.Content.ReadAsStringAsync())!;
            }
            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            Assert.True(poll.Headers.Contains("X-Progress"));
            Assert.NotNull(poll.Headers.RetryAfter);
            await Task.Delay(100);
        }
        throw new TimeoutException($"{status} did not complete");
    }

    /// <summary>Every file of the manifest, fetched: per type the resources' ids, checking media type, type and count.</summary>
    public static async Task<Dictionary<string, List<string>>> FilesAsync(HttpClient http, JsonNode manifest)
    {
        var ids = new Dictionary<string, List<string>>();
        foreach (var output in manifest["output"]!.AsArray())
        {
            var type = (string)output!["type"]!;
            var response = await http.GetAsync((string)output["url"]!);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType?.MediaType);
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal((int)output["count"]!, lines.Length);
            foreach (var line in lines)
            {
                var resource = JsonNode.Parse(line)!;
                Assert.Equal(type, (string?)resource["resourceType"]);
                (ids.TryGetValue(type, out var list) ? list : ids[type] = []).Add((string)resource["id"]!);
            }
        }
        return ids;
    }

    [Fact]
    public async Task System_export_writes_every_stored_resource_once_per_type()
    {
        var manifest = await ExportAsync(load.Server, "$export");
        Assert.EndsWith("/$export", (string?)manifest["request"]);
        Assert.False((bool)manifest["requiresAccessToken"]!);
        Assert.True(DateTimeOffset.TryParse((string?)manifest["transactionTime"], out _));
        Assert.Empty(manifest["error"]!.AsArray());
        var files = await FilesAsync(load.Server.Http(), manifest);
        foreach (var (type, expected) in load.InputCounts)
        {
            Assert.True(files.TryGetValue(type, out var ids), $"no {type} file");
            Assert.Equal(expected, ids.Distinct().Count());
            Assert.Equal(expected, ids.Count);
        }
    }

    [Fact]
    public async Task Type_since_and_type_filter_narrow_the_export()
    {
        var observations = (int)(await load.Server.Http().FhirGetAsync("Observation?status=final&_summary=count")).Json["total"]!;
        var manifest = await ExportAsync(load.Server, "$export?_type=Patient,Observation&_typeFilter=" + Uri.EscapeDataString("Observation?status=final") + "&_outputFormat=" + Uri.EscapeDataString("application/fhir+ndjson"));
        var files = await FilesAsync(load.Server.Http(), manifest);
        Assert.Equal(["Observation", "Patient"], files.Keys.Order().ToArray());
        Assert.Equal(observations, files["Observation"].Count);
        Assert.Equal(2, files["Patient"].Count);

        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        var none = await ExportAsync(load.Server, $"$export?_type=Patient&_since={future}");
        Assert.Empty(await FilesAsync(load.Server.Http(), none));
    }

    [Fact]
    public async Task Patient_and_group_exports_hold_the_members_records()
    {
        var (first, firstCounts) = load.PatientRecords[SyntheaLoad.Patients[0]];
        var (second, _) = load.PatientRecords[SyntheaLoad.Patients[1]];
        var all = await FilesAsync(load.Server.Http(), await ExportAsync(load.Server, "Patient/$export"));
        Assert.Equal(new[] { first, second }.Order(), all["Patient"].Order());
        Assert.False(all.ContainsKey("Practitioner")); // not in a Patient compartment
        Assert.Equal(load.InputCounts["Observation"], all["Observation"].Count);

        var group = new Group { Type = Group.GroupType.Person, Actual = true, Member = [new Group.MemberComponent { Entity = new ResourceReference($"Patient/{first}") }] };
        var groupId = (await load.Server.Http().FhirAsync(HttpMethod.Post, "Group", group)).As<Group>().Id;
        var members = await FilesAsync(load.Server.Http(), await ExportAsync(load.Server, $"Group/{groupId}/$export?_type=Patient,Observation,Encounter"));
        Assert.Equal([first], members["Patient"]);
        Assert.Equal(firstCounts["Observation"], members["Observation"].Count);
        Assert.Equal(firstCounts["Encounter"], members["Encounter"].Count);
    }

    [Fact]
    public async Task Delete_cancels_a_job_and_unknown_jobs_are_404()
    {
        var http = load.Server.Http();
        var kickOff = await http.FhirGetAsync("$export", Async);
        var status = kickOff.Message.Content.Headers.ContentLocation!.ToString();
        var cancel = await http.DeleteAsync(status);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await OutcomeAssert.IsOutcomeAsync(await http.GetAsync(status), 404, IssueType.NotFound);
        await OutcomeAssert.IsOutcomeAsync(await http.DeleteAsync(status), 404, IssueType.NotFound);
        await OutcomeAssert.IsOutcomeAsync(await http.GetAsync("$export-status/no-such-job"), 404, IssueType.NotFound);
        var folder = Path.Combine(Path.GetDirectoryName(load.Server.DatabasePath)!, "export", status.Split('/')[^1]);
        await Task.Delay(300); // a running job notices the cancellation between pages
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
    }

    [Fact]
    public async Task Bad_kick_offs_are_refused_precisely()
    {
        async Task Refused(string url, int status, IssueType code, string expression, bool prefer = true)
        {
            var request = FhirRequest.Create(HttpMethod.Get, url, null, null, prefer ? [Async] : []);
            await load.Server.RefusesAsync(request, status, code, expression);
        }
        await Refused("$export", 400, IssueType.Required, "Prefer", prefer: false);
        await Refused("$export?_outputFormat=text/csv", 400, IssueType.NotSupported, "_outputFormat");
        await Refused("$export?_type=Unicorn", 400, IssueType.Invalid, "_type");
        await Refused("Patient/$export?_type=Practitioner", 400, IssueType.Invalid, "_type");
        await Refused("$export?_since=yesterday", 400, IssueType.Invalid, "_since");
        await Refused("$export?_typeFilter=status%3Dfinal", 400, IssueType.Invalid, "_typeFilter");
        await Refused("$export?_type=Patient&_typeFilter=" + Uri.EscapeDataString("Observation?status=final"), 400, IssueType.Invalid, "_typeFilter");
        await Refused("$export?_typeFilter=" + Uri.EscapeDataString("Observation?nonsense=1"), 400, IssueType.Invalid, "nonsense");
        await Refused("$export?_elements=Patient.name.given", 400, IssueType.Invalid, "_elements");
        await Refused("$export?_type=Patient&_elements=Patient.colour", 400, IssueType.Invalid, "_elements");
        await Refused("$export?_type=Patient&_elements=Observation.code", 400, IssueType.Invalid, "_elements");
        await Refused("$export?patient=Patient/x", 400, IssueType.NotSupported, "patient");
        await Refused("Patient/$export?patient=Observation/x", 400, IssueType.Invalid, "patient");
        await Refused("Patient/$export?includeAssociatedData=LatestProvenanceResources", 400, IssueType.NotSupported, "includeAssociatedData");
        await Refused("Patient/$export?includeAssociatedData=Everything", 400, IssueType.CodeInvalid, "includeAssociatedData");
        await Refused("$export?_since=2020-01-01T00:00:00Z&_since=2021-01-01T00:00:00Z", 400, IssueType.Invalid, "_since");
        await Refused("$export?colour=blue", 400, IssueType.NotSupported, "colour");
        await Refused("Group/no-such-group/$export", 404, IssueType.NotFound, null!);
    }

    [Fact]
    public async Task A_job_accepted_before_a_restart_completes_after_it()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(folder, "restart.db");
        string status;
        using (var first = FhirServer.With(new Dictionary<string, string?> { ["Storage:Sqlite:Path"] = path, ["Export:RunJobs"] = "false" }))
        {
            var patient = await first.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { Gender = AdministrativeGender.Other });
            Assert.Equal(HttpStatusCode.Created, patient.Status);
            var kickOff = await first.Http().FhirGetAsync("$export?_type=Patient", Async);
            status = new Uri(kickOff.Message.Content.Headers.ContentLocation!.ToString()).PathAndQuery;
            var poll = await first.Http().GetAsync(status);
            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            Assert.Equal("queued", poll.Headers.GetValues("X-Progress").Single());
        }
        using var second = FhirServer.With(new Dictionary<string, string?> { ["Storage:Sqlite:Path"] = path });
        var manifest = await ManifestAsync(second.Http(), status);
        Assert.Single((await FilesAsync(second.Http(), manifest))["Patient"]);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Files_are_split_at_the_configured_size()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["Export:MaxFileBytes"] = "1" });
        for (var i = 0; i < 3; i++)
            await server.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { BirthDate = $"200{i}-01-01" });
        var manifest = await ExportAsync(server, "$export?_type=Patient");
        var outputs = manifest["output"]!.AsArray();
        Assert.Equal(3, outputs.Count);
        Assert.All(outputs, o => Assert.Equal(1, (int)o!["count"]!));
        Assert.Equal(3, (await FilesAsync(server.Http(), manifest))["Patient"].Distinct().Count());
    }
}
