using FhirCare.Conformance;
using FhirCare.Conformance.Execution;
using FhirCare.Conformance.Scripts;
using Result = Hl7.Fhir.Model.TestReport.TestReportActionResult;

namespace FhirCare.FhirFacade.Tests.Conformance;

/// <summary>The hand-written scripts' unhappy paths are checks that can fail: a server that accepts invalid entries fails them.</summary>
public sealed class HandwrittenScriptTests
{
    [Fact]
    public async Task Transaction_and_batch_scripts_fail_on_a_server_that_accepts_invalid_entries()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["Validation:Mode"] = "off" });
        var http = new FhirHttp(server.Http(), server.BaseAddress);
        var runner = new ScriptRunner(http, new ServerClaims(await Kit.CapabilitiesAsync(http, CancellationToken.None)));
        var folder = Path.Combine(KitFolder.Find(), "scripts", "handwritten");

        var transaction = await runner.RunAsync(LoadedScript.Load(Path.Combine(folder, "transaction.json")));
        Assert.False(transaction.Passed);
        Assert.Contains(transaction.Actions, a => a.Phase == "commit" && a.Outcome.Result == Result.Pass && a.Label == "subject rewritten to the new Patient");
        var refused = Assert.Single(transaction.Actions, a => a.Phase == "all or nothing" && a.Label == "400 or 422");
        Assert.Equal(Result.Fail, refused.Outcome.Result);

        var batch = await runner.RunAsync(LoadedScript.Load(Path.Combine(folder, "batch.json")));
        Assert.False(batch.Passed);
        Assert.Equal(Result.Fail, Assert.Single(batch.Actions, a => a.Label == "the invalid create is refused").Outcome.Result);
        Assert.Equal(Result.Pass, Assert.Single(batch.Actions, a => a.Label == "the unknown read is 404").Outcome.Result);
    }
}
