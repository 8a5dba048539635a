using FhirCare.Conformance;
using FhirCare.Conformance.Execution;
using Hl7.Fhir.Serialization;
using Result = Hl7.Fhir.Model.TestReport.TestReportActionResult;

namespace FhirCare.FhirFacade.Tests.Conformance;

/// <summary>
/// CI runs the auditor's kit (conformance/: generated, hand-written and third-party TestScripts) against the real
/// server, on a server of its own so it runs beside the other test collections. A failed TestScript fails the build.
/// </summary>
public sealed class ConformanceKitTests(KitServer fixture) : IClassFixture<KitServer>
{
    [Fact]
    public async Task Every_TestScript_of_the_kit_passes_against_the_server()
    {
        var server = fixture.Server;
        var kit = KitFolder.Find();
        var reports = Directory.CreateTempSubdirectory("fhircare-conformance-").FullName;
        try
        {
            var results = await Kit.RunAsync(server.Http(), KitOptions.ForKit(kit, server.BaseAddress) with { ReportFolder = reports });

            var failures = results.Where(r => r.Ran && !r.Passed).Select(r => $"{r.Script.Name} ({Path.GetRelativePath(kit, r.Script.Path)}): " +
                string.Join("; ", r.Actions.Where(a => a.Outcome.Result is Result.Fail or Result.Error).Select(a => $"[{a.Phase}] {a.Label}: {a.Outcome.Message}"))).ToList();
            Assert.True(failures.Count == 0, $"{failures.Count} TestScripts failed:\n" + string.Join("\n", failures));

            var ours = results.Where(r => r.Script.Path.StartsWith(Path.Combine(kit, "scripts"), StringComparison.Ordinal)).ToList();
            Assert.All(ours, r => Assert.True(r.Ran, $"{r.Script.Name} was not run: {string.Join("; ", r.NotRun)}"));
            Assert.True(ours.Count >= 294, $"only {ours.Count} of the kit's own TestScripts were found");
            Assert.All(results.Where(r => !r.Ran), r => Assert.NotEmpty(r.NotRun));

            var written = Directory.GetFiles(reports, "TestReport-*.json");
            Assert.Equal(results.Count(r => r.Ran), written.Length);
            foreach (var file in written) // each is a TestReport the SDK's default (cardinality-checking) parser accepts
                Assert.IsType<Hl7.Fhir.Model.TestReport>(new FhirJsonDeserializer().DeserializeResource(await File.ReadAllTextAsync(file)));
            var markdown = await File.ReadAllTextAsync(Path.Combine(reports, "report.md"));
            Assert.Contains($"run {results.Count(r => r.Ran)}, passed {results.Count(r => r.Ran)}, failed 0", markdown);
        }
        finally
        {
            Directory.Delete(reports, recursive: true);
        }
    }
}

/// <summary>The kit's server, with the default configuration (Validation:Mode=profiles): every fixture the kit writes must be valid.</summary>
public sealed class KitServer : IDisposable
{
    public FhirServer Server { get; } = FhirServer.With(new Dictionary<string, string?>());
    public void Dispose() => Server.Dispose();
}
