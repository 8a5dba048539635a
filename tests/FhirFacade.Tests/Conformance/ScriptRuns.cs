using FhirCare.Conformance.Execution;
using FhirCare.Conformance.Scripts;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Conformance;

/// <summary>Runs TestScripts written in a test (JSON, as a user would write them) against the test server.</summary>
public sealed class ScriptRuns(FhirServer server) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fhircare-testscripts-").FullName;

    /// <summary>Writes the script (and any fixture files, by relative path) to a temp folder and runs it.</summary>
    public async Task<ScriptResult> RunAsync(string scriptJson, bool evenIfUnclaimed = false, params (string Path, string Json)[] files)
    {
        foreach (var (path, json) in files)
        {
            var full = Path.Combine(_folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, json);
        }
        var scriptPath = Path.Combine(_folder, $"script-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(scriptPath, scriptJson);
        var http = new FhirHttp(server.Http(), server.BaseAddress);
        var claims = new ServerClaims(await Kit.CapabilitiesAsync(http, CancellationToken.None));
        return await new ScriptRunner(http, claims).RunAsync(LoadedScript.Load(scriptPath), evenIfUnclaimed);
    }

    /// <summary>Every TestScript the loader finds in a folder holding the given files (by relative path), each run.</summary>
    public async Task<IReadOnlyList<ScriptResult>> RunFolderAsync(params (string Path, string Text)[] files)
    {
        var folder = Path.Combine(_folder, Guid.NewGuid().ToString("N"));
        foreach (var (path, text) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, path))!);
            await File.WriteAllTextAsync(Path.Combine(folder, path), text);
        }
        var http = new FhirHttp(server.Http(), server.BaseAddress);
        var runner = new ScriptRunner(http, new ServerClaims(await Kit.CapabilitiesAsync(http, CancellationToken.None)));
        var results = new List<ScriptResult>();
        foreach (var script in LoadedScript.LoadAll([folder])) results.Add(await runner.RunAsync(script));
        return results;
    }

    /// <summary>A TestScript with the given fixtures, setup actions, tests and teardown actions (JSON fragments).</summary>
    public static string Script(string fixtures = "", string setup = "", string tests = "", string teardown = "", string extra = "") => $$"""
        {
          "resourceType": "TestScript", "url": "https://fhircare.org/fhir/TestScript/runner-test", "name": "runner_test", "status": "active"
          {{(fixtures.Length > 0 ? $", \"fixture\": [{fixtures}]" : "")}}
          {{(setup.Length > 0 ? $", \"setup\": {{ \"action\": [{setup}] }}" : "")}}
          {{(tests.Length > 0 ? $", \"test\": [{tests}]" : "")}}
          {{(teardown.Length > 0 ? $", \"teardown\": {{ \"action\": [{teardown}] }}" : "")}}
          {{extra}}
        }
        """;

    public static string Op(string code, string more) =>
        $$"""{ "operation": { "type": { "system": "http://terminology.hl7.org/CodeSystem/testscript-operation-codes", "code": "{{code}}" }, {{more}} } }""";

    public static string Check(string body) => $$"""{ "assert": { {{body}}, "warningOnly": false } }""";

    public static string Test(string name, params string[] actions) => $$"""{ "name": "{{name}}", "action": [{{string.Join(", ", actions)}}] }""";

    public const string PatientFixture = """{ "id": "patient", "autocreate": false, "autodelete": false, "resource": { "reference": "fixtures/patient.json" } }""";

    public static readonly (string, string) PatientFile = ("fixtures/patient.json", new FhirJsonSerializer().SerializeToString(new Patient
    {
        Id = "chalmers",
        Active = true,
        Name = [new HumanName { Family = "Chalmers", Given = ["Peter", "James"] }],
        Gender = AdministrativeGender.Male,
        BirthDate = "1974-12-25",
    }));

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
