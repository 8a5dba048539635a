using System.Net;
using FhirCare.FhirFacade.Export;
using FhirCare.FhirFacade.Tests.Rest;
using FhirCare.FhirFacade.Tests.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>
/// Export jobs on Cosmos DB (the npm emulator): they survive a restart and are shared by every server on the account —
/// one accepts, another runs, any answers the status and serves the files (from a shared export folder).
/// </summary>
public sealed class CosmosExportJobStoreTests : IDisposable
{
    private static readonly (string, string) Async = ("Prefer", "respond-async");
    private readonly string _exportFolder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _settings;

    public CosmosExportJobStoreTests()
    {
        var emulator = CosmosEmulator.Instance;
        Skip.If(emulator.Unavailable is not null, emulator.Unavailable);
        _settings = CosmosEmulatorStore.CosmosSettings(emulator.ConnectionString, "fhircare-" + Guid.NewGuid().ToString("N")[..8]);
        _settings["Export:OutputPath"] = _exportFolder;
        _settings["Export:PollSeconds"] = "0.2";
    }

    private FhirServer Server(bool runJobs) => FhirServer.With(new Dictionary<string, string?>(_settings) { ["Export:RunJobs"] = runJobs ? "true" : "false" });

    [SkippableFact]
    public async Task The_store_keeps_jobs_and_lists_only_the_unfinished_ones()
    {
        using var server = Server(runJobs: false);
        var jobs = server.Services.GetRequiredService<IExportJobStore>();
        Assert.Equal("CosmosExportJobStore", jobs.GetType().Name);
        var running = new ExportJob("0a1b", ExportLevel.System, null, ["Patient"], null, [], DateTimeOffset.UtcNow, "http://x/$export")
        {
            Status = ExportStatus.Running, Elements = ["Patient.gender"], KickOffIssues = [new ExportIssue("warning", "not-supported", "ignored", "includeAssociatedData")],
        };
        var done = running with { Id = "0a1c", Status = ExportStatus.Completed, Output = [new ExportFile("Patient", "Patient-1.ndjson", 3)] };
        await jobs.SaveAsync(running, default);
        await jobs.SaveAsync(done, default);

        using var other = Server(runJobs: false); // another server on the account, as after a restart
        var store = other.Services.GetRequiredService<IExportJobStore>();
        var read = (await store.ReadAsync("0a1c", default))!;
        Assert.Equal(3, read.Output.Single().Count);
        Assert.Equal(["Patient.gender"], read.Elements);
        Assert.Equal("ignored", read.KickOffIssues.Single().Diagnostics);
        Assert.Equal(["0a1b"], (await store.UnfinishedAsync(default)).Select(j => j.Id));
        await store.SaveAsync(running with { Status = ExportStatus.Failed }, default);
        Assert.Empty(await store.UnfinishedAsync(default));
        await store.DeleteAsync("0a1b", default);
        await store.DeleteAsync("0a1b", default); // twice: nothing there, no error
        Assert.Null(await store.ReadAsync("0a1b", default));
        Assert.Null(await store.ReadAsync("../0a1c", default));
    }

    [SkippableFact]
    public async Task A_job_accepted_by_one_server_is_run_by_another_and_answered_by_both()
    {
        using var front = Server(runJobs: false);
        var created = await front.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { Gender = AdministrativeGender.Female });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var kickOff = await front.Http().FhirGetAsync("$export?_type=Patient", Async);
        Assert.Equal(HttpStatusCode.Accepted, kickOff.Status);
        var status = new Uri(kickOff.Message.Content.Headers.ContentLocation!.ToString()).PathAndQuery;
        Assert.Equal("queued", (await front.Http().GetAsync(status)).Headers.GetValues("X-Progress").Single());

        using var worker = Server(runJobs: true); // picks the job up from the shared store
        var manifest = await BulkExportTests.ManifestAsync(front.Http(), status);
        Assert.Equal([created.As<Patient>().Id], (await BulkExportTests.FilesAsync(front.Http(), manifest))["Patient"]);
        var viaWorker = await BulkExportTests.ManifestAsync(worker.Http(), status);
        Assert.Equal(manifest["transactionTime"]!.ToString(), viaWorker["transactionTime"]!.ToString());

        // Cancelled on one server: gone on every server, and its files with it.
        Assert.Equal(HttpStatusCode.Accepted, (await front.Http().DeleteAsync(status)).StatusCode);
        await OutcomeAssert.IsOutcomeAsync(await worker.Http().GetAsync(status), 404, IssueType.NotFound);
    }

    [SkippableFact]
    public async Task A_job_accepted_before_a_restart_completes_after_it()
    {
        string status;
        using (var first = Server(runJobs: false))
        {
            await first.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { Gender = AdministrativeGender.Other });
            var kickOff = await first.Http().FhirGetAsync("Patient/$export?_type=Patient,Observation", Async);
            status = new Uri(kickOff.Message.Content.Headers.ContentLocation!.ToString()).PathAndQuery;
        }
        using var second = Server(runJobs: true);
        var manifest = await BulkExportTests.ManifestAsync(second.Http(), status);
        Assert.Single((await BulkExportTests.FilesAsync(second.Http(), manifest))["Patient"]);
    }

    public void Dispose()
    {
        if (Directory.Exists(_exportFolder)) Directory.Delete(_exportFolder, recursive: true);
    }
}
