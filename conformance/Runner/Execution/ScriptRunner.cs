using FhirCare.Conformance.Scripts;
using Hl7.Fhir.Model;
using Result = Hl7.Fhir.Model.TestReport.TestReportActionResult;

namespace FhirCare.Conformance.Execution;

/// <summary>One action as it ran: where (setup, a test, teardown), what (operation or assert), its label and outcome.</summary>
public sealed record ActionRecord(string Phase, bool IsAssert, string Label, ActionOutcome Outcome);

/// <summary>The outcome of one TestScript: its TestReport, every action as it ran, or why it was not run.</summary>
public sealed record ScriptResult(LoadedScript Script, TestReport? Report, IReadOnlyList<ActionRecord> Actions, IReadOnlyList<string> NotRun)
{
    public bool Ran => Report is not null;
    public bool Passed => Report?.Result == TestReport.TestReportResult.Pass;
}

/// <summary>
/// Runs TestScripts against one server (testscript.html#execution): fixtures autocreated, setup, each test, teardown,
/// autodelete. A failed or erroneous setup action skips the rest of setup and every test; within a test the first
/// failure skips the test's remaining actions; teardown always runs.
/// </summary>
public sealed class ScriptRunner(FhirHttp http, ServerClaims claims, IReadOnlyDictionary<string, string>? variables = null)
{
    public const string Engine = "FhirCare conformance runner";

    public async Task<ScriptResult> RunAsync(LoadedScript loaded, bool evenIfUnclaimed = false, CancellationToken cancel = default)
    {
        var script = loaded.Script;
        if (!evenIfUnclaimed && loaded.Problems.Count == 0 && claims.Unclaimed(script, loaded.Fixtures) is { Count: > 0 } unclaimed)
            return new ScriptResult(loaded, null, [], unclaimed);

        var state = new ScriptState(script, loaded.Fixtures, variables ?? new Dictionary<string, string>());
        var validation = new ProfileValidation(http, claims);
        var assertions = new Assertions(state, validation);
        var records = new List<ActionRecord>();
        var report = new TestReport
        {
            Id = ReportId(loaded),
            Name = script.Name ?? script.Title,
            Status = TestReport.TestReportStatus.Completed,
            TestScript = new ResourceReference(script.Url ?? loaded.Path, script.Title ?? script.Name),
            Tester = Engine,
            Issued = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffK"),
            Participant =
            [
                new TestReport.ParticipantComponent { Type = TestReport.TestReportParticipantType.TestEngine, Uri = "urn:fhircare:conformance-runner" },
                new TestReport.ParticipantComponent { Type = TestReport.TestReportParticipantType.Server, Uri = http.BaseUrl.ToString() },
            ],
            Setup = new TestReport.SetupComponent(),
        };

                var stopped = false;
        foreach (var problem in loaded.Problems)
        {
            Add(report.Setup.Action, records, "setup", false, "fixtures", ActionOutcome.Error(problem));
            stopped = true;
        }
        if (!stopped)
        {
            foreach (var fixture in script.Fixture.Where(f => f.Autocreate == true))
            {
                var outcome = await AutocreateAsync(state, fixture.ElementId ?? "", cancel);
                Add(report.Setup.Action, records, "setup", false, $"autocreate {fixture.ElementId}", outcome);
                if (outcome.Stops) { stopped = true; break; }
            }
        }
        foreach (var action in script.Setup?.Action ?? [])
        {
            var label = Label(action.Operation, action.Assert);
            var outcome = stopped ? ActionOutcome.Skip("an earlier setup action did not pass") : await RunActionAsync(state, assertions, action.Operation, action.Assert, cancel);
            Add(report.Setup.Action, records, "setup", action.Assert is not null, label, outcome);
            stopped |= outcome.Stops;
        }

        foreach (var test in script.Test)
        {
            var reported = new TestReport.TestComponent { Name = test.Name, Description = test.Description };
            var testStopped = stopped;
            foreach (var action in test.Action)
            {
                var label = Label(action.Operation, action.Assert);
                var outcome = testStopped
                    ? ActionOutcome.Skip(stopped ? "setup did not pass" : "an earlier action of this test did not pass")
                    : await RunActionAsync(state, assertions, action.Operation, action.Assert, cancel);
                reported.Action.Add(Action<TestReport.TestActionComponent>(action.Assert is not null, label, outcome));
                records.Add(new ActionRecord(test.Name ?? test.ElementId ?? $"test {report.Test.Count + 1}", action.Assert is not null, label, outcome));
                testStopped |= outcome.Stops;
            }
            report.Test.Add(reported);
        }

        var teardown = new TestReport.TeardownComponent();
        foreach (var action in script.Teardown?.Action ?? [])
        {
            var label = Label(action.Operation, null);
            var outcome = loaded.Problems.Count > 0 ? ActionOutcome.Skip("the script could not be loaded") : await RunActionAsync(state, assertions, action.Operation, null, cancel);
            teardown.Action.Add(new TestReport.TeardownActionComponent { Operation = new TestReport.OperationComponent { Result = outcome.Result, Message = Message(label, outcome) } });
            records.Add(new ActionRecord("teardown", false, label, outcome));
        }
        foreach (var fixture in script.Fixture.Where(f => f.Autodelete == true))
        {
            if (state.PlacedAt(fixture.ElementId ?? "") is not { } made) continue;
            var exchange = await http.SendAsync(new OperationRequest("DELETE", $"{made.Type}/{made.Id}", FhirWire.Json, null, null, []), cancel);
            var outcome = exchange.Status is >= 200 and < 300
                ? ActionOutcome.Pass($"DELETE {made.Type}/{made.Id} → {exchange.Status}")
                : ActionOutcome.Error($"autodelete {fixture.ElementId}: DELETE {made.Type}/{made.Id} answered {exchange.Status}");
            teardown.Action.Add(new TestReport.TeardownActionComponent { Operation = new TestReport.OperationComponent { Result = outcome.Result, Message = Message($"autodelete {fixture.ElementId}", outcome) } });
            records.Add(new ActionRecord("teardown", false, $"autodelete {fixture.ElementId}", outcome));
        }
        if (teardown.Action.Count > 0) report.Teardown = teardown;
        if (report.Setup.Action.Count == 0) report.Setup = null; // TestReport.setup needs at least one action

        var judged = records.Where(r => r.Phase != "teardown").ToList();
        report.Result = judged.Any(r => r.Outcome.Stops) ? TestReport.TestReportResult.Fail : TestReport.TestReportResult.Pass;
        var asserts = judged.Where(r => r.IsAssert).ToList();
        report.Score = asserts.Count == 0 ? null : Math.Round(100m * asserts.Count(a => a.Outcome.Result is Result.Pass or Result.Warning) / asserts.Count, 1);
        return new ScriptResult(loaded, report, records, []);
    }

    private async Task<ActionOutcome> AutocreateAsync(ScriptState state, string fixtureId, CancellationToken cancel)
    {
        try
        {
            var fixture = state.Fixture(fixtureId);
            var body = (Resource)fixture.DeepCopy();
            body.Id = null;
            var exchange = await http.SendAsync(new OperationRequest("POST", fixture.TypeName, FhirWire.Json, FhirWire.Json, body, [("Prefer", "return=representation")]), cancel);
            if (exchange.Status is not (200 or 201) || ScriptState.Where(exchange) is not { } where)
                return ActionOutcome.Error($"autocreate {fixtureId}: POST {fixture.TypeName} answered {exchange.Status}{Diagnostics(exchange)}");
            state.Placed(fixtureId, where);
            return ActionOutcome.Pass($"POST {fixture.TypeName} → {exchange.Status}, {where.Type}/{where.Id}");
        }
        catch (Exception e) when (e is AssertionSetupException or HttpRequestException)
        {
            return ActionOutcome.Error($"autocreate {fixtureId}: {e.Message}");
        }
    }

    private async Task<ActionOutcome> RunActionAsync(ScriptState state, Assertions assertions, TestScript.OperationComponent? operation, TestScript.AssertComponent? assert, CancellationToken cancel)
    {
        if (assert is not null) return await assertions.EvaluateAsync(assert, cancel);
        if (operation is null) return ActionOutcome.Error("the action has neither an operation nor an assert");
        try
        {
            var request = OperationRequest.From(operation, state);
            var exchange = await http.SendAsync(request, cancel);
            state.Record(exchange, operation.RequestId, operation.ResponseId);
            Remember(state, operation, request, exchange);
            return ActionOutcome.Pass($"{request.Method} {exchange.Url.PathAndQuery} → {exchange.Status}");
        }
        catch (Exception e) when (e is AssertionSetupException or HttpRequestException or UriFormatException or TaskCanceledException)
        {
            return ActionOutcome.Error(e.Message);
        }
    }

    /// <summary>A fixture written by create or update now lives on the server: later targetIds and variables use that instance.</summary>
    private static void Remember(ScriptState state, TestScript.OperationComponent operation, OperationRequest request, Exchange exchange)
    {
        if (operation.SourceId is not { Length: > 0 } sourceId || !state.IsFixture(sourceId) || exchange.Status is < 200 or >= 300) return;
        if (operation.Type?.Code is "create" or "update" or "updateCreate" && ScriptState.Where(exchange) is { } where)
            state.Placed(sourceId, where);
        else if (operation.Type?.Code is "update" or "updateCreate" && request.Body is { Id.Length: > 0 } body)
            state.Placed(sourceId, new ServerResource(body.TypeName, body.Id, ScriptState.ETagVersion(exchange)));
    }

    private static string Diagnostics(Exchange exchange) =>
        exchange.ResponseResource is OperationOutcome oo && oo.Issue.FirstOrDefault()?.Diagnostics is { } d ? $": {d}" : "";

    private static string Label(TestScript.OperationComponent? operation, TestScript.AssertComponent? assert) =>
        assert is not null
            ? assert.Label ?? assert.Description ?? "assert"
            : operation?.Label ?? operation?.Description ?? operation?.Type?.Code ?? "operation";

    private static void Add(List<TestReport.SetupActionComponent> into, List<ActionRecord> records, string phase, bool isAssert, string label, ActionOutcome outcome)
    {
        into.Add(Action<TestReport.SetupActionComponent>(isAssert, label, outcome));
        records.Add(new ActionRecord(phase, isAssert, label, outcome));
    }

    private static T Action<T>(bool isAssert, string label, ActionOutcome outcome) where T : BackboneElement, new()
    {
        var action = new T();
        var message = Message(label, outcome);
        switch (action)
        {
            case TestReport.SetupActionComponent s when isAssert: s.Assert = new TestReport.AssertComponent { Result = outcome.Result, Message = message }; break;
            case TestReport.SetupActionComponent s: s.Operation = new TestReport.OperationComponent { Result = outcome.Result, Message = message }; break;
            case TestReport.TestActionComponent t when isAssert: t.Assert = new TestReport.AssertComponent { Result = outcome.Result, Message = message }; break;
            case TestReport.TestActionComponent t: t.Operation = new TestReport.OperationComponent { Result = outcome.Result, Message = message }; break;
        }
        return action;
    }

    private static string Message(string label, ActionOutcome outcome) => $"{label}: {outcome.Message}";

    private static string ReportId(LoadedScript loaded)
    {
        var name = new string(Path.GetFileNameWithoutExtension(loaded.Path).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-').ToArray());
        return name.Length > 64 ? name[..64] : name;
    }
}
