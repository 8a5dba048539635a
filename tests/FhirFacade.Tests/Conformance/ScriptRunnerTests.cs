using FhirCare.Conformance.Execution;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Conformance.ScriptRuns;
using Result = Hl7.Fhir.Model.TestReport.TestReportActionResult;

namespace FhirCare.FhirFacade.Tests.Conformance;

/// <summary>The TestScript runner itself: what must pass passes, and what must fail fails, with the right message.</summary>
[Collection(ServerCollection.Name)]
public sealed class ScriptRunnerTests(FhirServer server) : IDisposable
{
    private readonly ScriptRuns _runs = new(server);

    public void Dispose() => _runs.Dispose();

    private const string CreatePatient = """
        { "operation": { "type": { "system": "http://terminology.hl7.org/CodeSystem/testscript-operation-codes", "code": "create" },
          "resource": "Patient", "sourceId": "patient", "responseId": "created", "label": "create" } }
        """;

    private static readonly string ReadPatient = Op("read", "\"resource\": \"Patient\", \"targetId\": \"patient\", \"label\": \"read\", \"responseId\": \"read\"");

    private static ActionRecord Action(ScriptResult result, string label) => result.Actions.Single(a => a.Label == label);

    [Fact]
    public async Task A_script_that_holds_passes_every_action()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture,
            extra: """
                , "variable": [
                    { "name": "location", "headerField": "Location", "sourceId": "created" },
                    { "name": "id", "expression": "Patient.id", "sourceId": "patient" },
                    { "name": "family", "path": "Patient/name/family", "sourceId": "patient" } ]
                """,
            setup: string.Join(",", CreatePatient, Check("\"label\": \"created\", \"response\": \"created\""), Check("\"label\": \"location\", \"headerField\": \"Location\", \"operator\": \"notEmpty\"")),
            tests: string.Join(",",
                Test("read",
                    ReadPatient,
                    Check("\"label\": \"200\", \"responseCode\": \"200\""),
                    Check("\"label\": \"type\", \"resource\": \"Patient\""),
                    Check("\"label\": \"json\", \"contentType\": \"application/fhir+json\""),
                    Check("\"label\": \"etag\", \"headerField\": \"ETag\", \"operator\": \"notEmpty\""),
                    Check("\"label\": \"family\", \"expression\": \"Patient.name.family\", \"value\": \"${family}\""),
                    Check("\"label\": \"xpath\", \"path\": \"fhir:Patient/fhir:name/fhir:given/@value\", \"value\": \"Peter\""),
                    Check("\"label\": \"id\", \"expression\": \"id\", \"operator\": \"equals\", \"value\": \"${id}\""),
                    Check("\"label\": \"compare\", \"expression\": \"birthDate\", \"compareToSourceId\": \"patient\", \"compareToSourceExpression\": \"birthDate\""),
                    Check("\"label\": \"minimum\", \"minimumId\": \"patient\""),
                    Check("\"label\": \"boolean\", \"expression\": \"active = true and name.given.count() = 2\""),
                    Check("\"label\": \"in\", \"expression\": \"gender\", \"operator\": \"in\", \"value\": \"female,male\""),
                    Check("\"label\": \"method\", \"requestMethod\": \"get\""),
                    Check("\"label\": \"url\", \"requestURL\": \"${id}\", \"operator\": \"contains\"")),
                Test("by location",
                    Op("read", "\"url\": \"${location}\", \"label\": \"read location\""),
                    Check("\"label\": \"ok\", \"response\": \"okay\""),
                    Op("vread", "\"resource\": \"Patient\", \"targetId\": \"created\", \"label\": \"vread\""),
                    Check("\"label\": \"version 1\", \"expression\": \"meta.versionId\", \"value\": \"1\"")),
                Test("search",
                    Op("search", "\"resource\": \"Patient\", \"params\": \"?_id=${id}&family=Chalmers\", \"label\": \"search\""),
                    Check("\"label\": \"bundle\", \"resource\": \"Bundle\""),
                    Check("\"label\": \"links\", \"navigationLinks\": true"),
                    Check("\"label\": \"found\", \"expression\": \"Bundle.entry.resource.id\", \"value\": \"${id}\""))),
            teardown: Op("delete", "\"resource\": \"Patient\", \"targetId\": \"patient\", \"label\": \"delete\"")),
            files: PatientFile);

        Assert.True(result.Passed, string.Join("\n", result.Actions.Select(a => $"{a.Label}: {a.Outcome.Result} {a.Outcome.Message}")));
        Assert.All(result.Actions, a => Assert.Equal(Result.Pass, a.Outcome.Result));
        Assert.Equal(3, result.Report!.Test.Count);
        Assert.Equal(100m, result.Report.Score);
        Assert.Matches("^GET /Patient/[^/]+ → 200$", Action(result, "read").Outcome.Message);
        Assert.Contains("'Chalmers'", Action(result, "family").Outcome.Message);
        // teardown deleted the created Patient
        var id = System.Text.RegularExpressions.Regex.Match(Action(result, "id").Outcome.Message, "^'id' is '(?<id>[^']+)'$").Groups["id"].Value;
        Assert.NotEmpty(id);
        Assert.Equal(System.Net.HttpStatusCode.Gone, (await server.Http().GetAsync($"Patient/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_expected_status_fails_with_expected_and_actual_and_skips_the_rest_of_the_test()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture,
            setup: CreatePatient,
            tests: Test("read", ReadPatient,
                Check("\"label\": \"wrong status\", \"responseCode\": \"201\""),
                Check("\"label\": \"after\", \"resource\": \"Patient\""))),
            files: PatientFile);

        Assert.False(result.Passed);
        Assert.Equal(TestReport.TestReportResult.Fail, result.Report!.Result);
        var wrong = Action(result, "wrong status").Outcome;
        Assert.Equal(Result.Fail, wrong.Result);
        Assert.Equal("expected response status '201', got '200'", wrong.Message);
        Assert.Equal(Result.Skip, Action(result, "after").Outcome.Result);
        Assert.Equal(Result.Fail, result.Report.Test[0].Action[1].Assert.Result);
        Assert.Equal("wrong status: expected response status '201', got '200'", result.Report.Test[0].Action[1].Assert.Message);
    }

    [Fact]
    public async Task A_named_response_code_that_does_not_match_fails()
    {
        var result = await _runs.RunAsync(Script(
            tests: Test("read", Op("read", "\"resource\": \"Patient\", \"params\": \"/does-not-exist\", \"label\": \"read\""),
                Check("\"label\": \"okay\", \"response\": \"okay\""))));

        Assert.Equal("expected response status '200' (okay), got '404'", Action(result, "okay").Outcome.Message);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task A_FHIRPath_value_that_differs_fails_with_both_values()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture, setup: CreatePatient,
            tests: Test("read", ReadPatient, Check("\"label\": \"family\", \"expression\": \"Patient.name.family\", \"value\": \"Nobody\""))),
            files: PatientFile);

        var family = Action(result, "family").Outcome;
        Assert.Equal(Result.Fail, family.Result);
        Assert.Equal("expected 'Patient.name.family' 'Nobody', got 'Chalmers'", family.Message);
    }

    [Fact]
    public async Task A_FHIRPath_condition_that_is_false_fails()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture, setup: CreatePatient,
            tests: Test("read", ReadPatient, Check("\"label\": \"inactive\", \"expression\": \"Patient.active = false\""))),
            files: PatientFile);

        Assert.Equal("'Patient.active = false' is not true (it gave [false])", Action(result, "inactive").Outcome.Message);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task A_FHIRPath_expression_that_does_not_parse_is_an_error()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture, setup: CreatePatient,
            tests: Test("read", ReadPatient, Check("\"label\": \"broken\", \"expression\": \"Patient.name.(\""))),
            files: PatientFile);

        var broken = Action(result, "broken").Outcome;
        Assert.Equal(Result.Error, broken.Result);
        Assert.StartsWith("expression 'Patient.name.(' cannot be evaluated", broken.Message);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task A_missing_fixture_file_is_an_error_and_nothing_runs()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: """{ "id": "gone", "autocreate": true, "autodelete": true, "resource": { "reference": "fixtures/no-such-file.json" } }""",
            tests: Test("read", Op("read", "\"resource\": \"Patient\", \"targetId\": \"gone\", \"label\": \"read\""), Check("\"label\": \"ok\", \"response\": \"okay\""))));

        Assert.False(result.Passed);
        var load = Action(result, "fixtures").Outcome;
        Assert.Equal(Result.Error, load.Result);
        Assert.Equal("fixture 'gone': file 'fixtures/no-such-file.json' not found next to the script or in fixtures/", load.Message);
        Assert.Equal(Result.Skip, Action(result, "read").Outcome.Result);
        Assert.Equal("setup did not pass", Action(result, "ok").Outcome.Message);
    }

    [Fact]
    public async Task An_operation_on_an_undeclared_fixture_is_an_error()
    {
        var result = await _runs.RunAsync(Script(
            tests: Test("create", Op("create", "\"resource\": \"Patient\", \"sourceId\": \"nope\", \"label\": \"create\""))));

        var create = Action(result, "create").Outcome;
        Assert.Equal(Result.Error, create.Result);
        Assert.Equal("there is no fixture 'nope' in this TestScript", create.Message);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task An_undefined_variable_is_an_error()
    {
        var result = await _runs.RunAsync(Script(
            tests: Test("read", Op("read", "\"resource\": \"Patient\", \"params\": \"/${nothing}\", \"label\": \"read\""))));

        Assert.Equal("the variable 'nothing' is not defined in this TestScript", Action(result, "read").Outcome.Message);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task A_failed_minimum_names_the_elements_that_differ()
    {
        const string minimum = """{ "id": "minimum", "resource": { "reference": "fixtures/minimum.json" } }""";
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture + "," + minimum, setup: CreatePatient,
            tests: Test("read", ReadPatient, Check("\"label\": \"minimum\", \"minimumId\": \"minimum\""))),
            files: [PatientFile, ("fixtures/minimum.json", """{ "resourceType": "Patient", "gender": "male", "birthDate": "1999-01-01" }""")]);

        var outcome = Action(result, "minimum").Outcome;
        Assert.Equal(Result.Fail, outcome.Result);
        Assert.Equal("the response lacks or differs from minimum 'minimum' in: birthDate", outcome.Message);
    }

    [Fact]
    public async Task A_warning_only_assert_that_fails_is_a_warning_and_the_script_passes()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture, setup: CreatePatient,
            tests: Test("read", ReadPatient, """{ "assert": { "label": "soft", "headerField": "X-No-Such-Header", "operator": "notEmpty", "warningOnly": true } }""")),
            files: PatientFile);

        var soft = Action(result, "soft").Outcome;
        Assert.Equal(Result.Warning, soft.Result);
        Assert.Equal("expected header X-No-Such-Header not empty, got nothing", soft.Message);
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task A_failed_setup_skips_every_test_and_teardown_still_runs()
    {
        var result = await _runs.RunAsync(Script(
            fixtures: PatientFixture,
            setup: string.Join(",", CreatePatient, Check("\"label\": \"setup check\", \"response\": \"gone\"")),
            tests: Test("read", ReadPatient),
            teardown: Op("delete", "\"resource\": \"Patient\", \"targetId\": \"patient\", \"label\": \"delete\"")),
            files: PatientFile);

        Assert.False(result.Passed);
        Assert.Equal("expected response status '410' (gone), got '201'", Action(result, "setup check").Outcome.Message);
        Assert.Equal(Result.Skip, Action(result, "read").Outcome.Result);
        Assert.Equal(Result.Pass, Action(result, "delete").Outcome.Result);
        Assert.Matches(@"^DELETE /Patient/[^/]+ → 204$", Action(result, "delete").Outcome.Message);
    }

    [Fact]
    public async Task A_profile_assert_is_not_run_without_validate_and_is_an_error_when_forced()
    {
        var script = Script(
            fixtures: PatientFixture, setup: CreatePatient,
            extra: """, "profile": [ { "id": "patient-profile", "reference": "http://hl7.org/fhir/StructureDefinition/Patient" } ]""",
            tests: Test("read", ReadPatient, Check("\"label\": \"profile\", \"validateProfileId\": \"patient-profile\"")));
        var claims = await Kit.CapabilitiesAsync(new FhirHttp(server.Http(), server.BaseAddress), CancellationToken.None);
        if (new ServerClaims(claims).ClaimsOperation("validate"))
        {
            // Once the server has $validate (issue 6, branch ig) the assert asks it, and a valid Patient passes.
            var asked = await _runs.RunAsync(script, files: PatientFile);
            Assert.Equal(Result.Pass, Action(asked, "profile").Outcome.Result);
            return;
        }

        var skipped = await _runs.RunAsync(script, files: PatientFile);
        Assert.False(skipped.Ran);
        Assert.Equal(["needs $validate (for validateProfileId asserts), which the server's CapabilityStatement does not claim"], skipped.NotRun);

        var forced = await _runs.RunAsync(script, evenIfUnclaimed: true, files: PatientFile);
        var profile = Action(forced, "profile").Outcome;
        Assert.Equal(Result.Error, profile.Result);
        Assert.Equal("cannot check profile http://hl7.org/fhir/StructureDefinition/Patient: the server lacks $validate (its CapabilityStatement claims no validate operation for Patient)", profile.Message);
        Assert.False(forced.Passed);
    }

    [Fact]
    public async Task A_script_that_needs_an_unclaimed_operation_is_not_run()
    {
        var result = await _runs.RunAsync(Script(tests: Test("closure", Op("closure", "\"label\": \"closure\""))));

        Assert.False(result.Ran);
        Assert.Null(result.Report);
        Assert.Equal(["needs $closure, which the server's CapabilityStatement does not claim"], result.NotRun);
    }

    [Fact]
    public async Task TestScripts_in_XML_are_found_and_run_and_fixture_folders_are_not_read_as_scripts()
    {
        const string xml = """
            <TestScript xmlns="http://hl7.org/fhir">
              <url value="https://fhircare.org/fhir/TestScript/xml-script"/><name value="xml_script"/><status value="active"/>
              <test>
                <name value="read a missing patient"/>
                <action><operation>
                  <type><system value="http://terminology.hl7.org/CodeSystem/testscript-operation-codes"/><code value="read"/></type>
                  <resource value="Patient"/><label value="read"/><accept value="xml"/><encodeRequestUrl value="true"/><params value="/no-such-patient"/>
                </operation></action>
                <action><assert><label value="404"/><response value="notFound"/><warningOnly value="false"/></assert></action>
                <action><assert><label value="xml"/><contentType value="xml"/><warningOnly value="false"/></assert></action>
                <action><assert><label value="outcome"/><resource value="OperationOutcome"/><warningOnly value="false"/></assert></action>
              </test>
            </TestScript>
            """;
        var results = await _runs.RunFolderAsync(("xml-script.xml", xml), ("fixtures/TestScript-as-fixture.json", Script(tests: Test("never", Op("closure", "\"label\": \"x\"")))));

        var result = Assert.Single(results);
        Assert.Equal("xml_script", result.Script.Name);
        Assert.True(result.Passed, string.Join("\n", result.Actions.Select(a => $"{a.Label}: {a.Outcome.Result} {a.Outcome.Message}")));
        Assert.Equal("Content-Type is 'application/fhir+xml; charset=utf-8'", Action(result, "xml").Outcome.Message);
    }

    [Fact]
    public async Task The_exit_code_is_1_when_a_script_that_ran_failed()
    {
        var failed = await _runs.RunAsync(Script(tests: Test("read", Op("read", "\"resource\": \"Patient\", \"params\": \"/nope\", \"label\": \"read\""), Check("\"label\": \"ok\", \"response\": \"okay\""))));
        var notRun = await _runs.RunAsync(Script(tests: Test("closure", Op("closure", "\"label\": \"closure\""))));

        Assert.Equal(1, Kit.ExitCode([failed, notRun]));
        Assert.Equal(0, Kit.ExitCode([notRun]));
    }
}
