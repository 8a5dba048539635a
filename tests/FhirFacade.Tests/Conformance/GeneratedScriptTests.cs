using FhirCare.Conformance;
using FhirCare.Conformance.Execution;
using FhirCare.Conformance.Scripts;
using Result = Hl7.Fhir.Model.TestReport.TestReportActionResult;

namespace FhirCare.FhirFacade.Tests.Conformance;

/// <summary>The generated search scripts are checks that can fail: on a server that does not index, they do.</summary>
public sealed class GeneratedScriptTests
{
    [Fact]
    public async Task Generated_search_scripts_fail_when_the_server_does_not_index()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["Search:IndexOnWrite"] = "false" });
        var script = LoadedScript.Load(Path.Combine(KitFolder.Find(), "scripts", "generated", "search", "search-Patient.json"));
        var http = new FhirHttp(server.Http(), server.BaseAddress);
        var runner = new ScriptRunner(http, new ServerClaims(await Kit.CapabilitiesAsync(http, CancellationToken.None)));

        var result = await runner.RunAsync(script);

        Assert.True(result.Ran);
        Assert.False(result.Passed);
        var family = result.Actions.Where(a => a.Phase == "Patient?family").ToList();
        var found = Assert.Single(family, a => a.Label == "the fixture is found");
        Assert.Equal(Result.Fail, found.Outcome.Result);
        Assert.Matches(@"^expected 'Bundle\.entry\.resource\.ofType\(Patient\)\.id' '[^']+', got nothing$", found.Outcome.Message);
        Assert.Equal(Result.Skip, family.Last().Outcome.Result); // the rest of that test is skipped
        // every parameter that needs the index fails; _id and _lastUpdated are kept with the resource itself
        var needIndex = result.Report!.Test.Where(t => t.Name is not ("Patient?_id" or "Patient?_lastUpdated")).ToList();
        Assert.True(needIndex.Count > 20);
        Assert.All(needIndex, t => Assert.Contains(t.Action, a => a.Assert?.Result == Result.Fail));
    }
}
