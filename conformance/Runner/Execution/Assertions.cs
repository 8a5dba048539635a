using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Assert = Hl7.Fhir.Model.TestScript.AssertComponent;
using Operator = Hl7.Fhir.Model.TestScript.AssertionOperatorType;

namespace FhirCare.Conformance.Execution;

/// <summary>The result of one action, as TestReport records it.</summary>
public sealed record ActionOutcome(TestReport.TestReportActionResult Result, string Message)
{
    public static ActionOutcome Pass(string message) => new(TestReport.TestReportActionResult.Pass, message);
    public static ActionOutcome Fail(string message) => new(TestReport.TestReportActionResult.Fail, message);
    public static ActionOutcome Error(string message) => new(TestReport.TestReportActionResult.Error, message);
    public static ActionOutcome Skip(string message) => new(TestReport.TestReportActionResult.Skip, message);
    public bool Stops => Result is TestReport.TestReportActionResult.Fail or TestReport.TestReportActionResult.Error;
}

/// <summary>Evaluates TestScript asserts (TestScript.setup.action.assert) against the state of a run.</summary>
public sealed class Assertions(ScriptState state, ProfileValidation validation)
{
    private static readonly Dictionary<string, int> ResponseCodes = new()
    {
        ["okay"] = 200, ["created"] = 201, ["noContent"] = 204, ["notModified"] = 304, ["bad"] = 400, ["forbidden"] = 403,
        ["notFound"] = 404, ["methodNotAllowed"] = 405, ["conflict"] = 409, ["gone"] = 410, ["preconditionFailed"] = 412,
        ["unprocessable"] = 422,
    };

    public async Task<ActionOutcome> EvaluateAsync(Assert a, CancellationToken cancel)
    {
        ActionOutcome outcome;
        try
        {
            outcome = await CheckAsync(a, cancel);
        }
        catch (AssertionSetupException e)
        {
            outcome = ActionOutcome.Error(e.Message);
        }
        return outcome.Result == TestReport.TestReportActionResult.Fail && a.WarningOnly == true
            ? new ActionOutcome(TestReport.TestReportActionResult.Warning, outcome.Message)
            : outcome;
    }

    private async Task<ActionOutcome> CheckAsync(Assert given, CancellationToken cancel)
    {
        // Variables are substituted everywhere an assert holds text, expressions and paths included.
        var a = (Assert)given.DeepCopy();
        if (a.Expression is { } ex) a.Expression = state.Substitute(ex);
        if (a.Path is { } path) a.Path = state.Substitute(path);
        if (a.CompareToSourceExpression is { } cex) a.CompareToSourceExpression = state.Substitute(cex);
        if (a.CompareToSourcePath is { } cpath) a.CompareToSourcePath = state.Substitute(cpath);
        var request = a.Direction == TestScript.AssertionDirectionType.Request;
        var op = a.Operator;
        var expected = a.Value is { } v ? state.Substitute(v) : null;

        if (a.Response is { } response)
        {
            var code = response.GetLiteral();
            return Compare("response status", [Exchange(a).Status.ToString(CultureInfo.InvariantCulture)], op ?? Operator.Equals, ResponseCodes[code].ToString(CultureInfo.InvariantCulture), $" ({code})");
        }
        if (a.ResponseCode is { Length: > 0 } responseCode)
            return Compare("response status", [Exchange(a).Status.ToString(CultureInfo.InvariantCulture)], op ?? Operator.Equals, state.Substitute(responseCode));
        if (a.ContentType is { Length: > 0 } contentType)
        {
            var exchange = Exchange(a);
            var actual = (request ? exchange.RequestHeader("Content-Type") : exchange.ResponseHeader("Content-Type")) ?? "";
            var wanted = FhirWire.MediaType(contentType);
            return actual.StartsWith(wanted, StringComparison.OrdinalIgnoreCase) == (op != Operator.NotEquals)
                ? ActionOutcome.Pass($"Content-Type is '{actual}'")
                : ActionOutcome.Fail($"expected Content-Type {(op == Operator.NotEquals ? "other than " : "")}'{wanted}', got '{actual}'");
        }
        if (a.HeaderField is { Length: > 0 } header)
        {
            var exchange = Exchange(a);
            var value = request ? exchange.RequestHeader(header) : exchange.ResponseHeader(header);
            return Compare($"header {header}", value is null ? [] : [value], op ?? Operator.Equals, expected);
        }
        if (a.Resource is { } type)
        {
            var actual = Exchange(a).ResponseResource?.TypeName ?? "(no resource)";
            if (a.SourceId is { Length: > 0 } sid) actual = state.Source(sid).TypeName;
            return Compare("resource type", [actual], op ?? Operator.Equals, type.GetLiteral());
        }
        if (a.MinimumId is { Length: > 0 } minimumId) return Minimum(state.SourceOrLast(a.SourceId, "minimumId"), state.Fixture(minimumId), minimumId);
        if (a.ValidateProfileId is { Length: > 0 } profileId) return await ValidateAsync(a, profileId, cancel);
        if (a.NavigationLinks is { } navigation) return NavigationLinks(state.SourceOrLast(a.SourceId, "navigationLinks"), navigation);
        if (a.RequestMethod is { } method)
            return Compare("request method", [Exchange(a).Method], op ?? Operator.Equals, method.GetLiteral()!.ToUpperInvariant());
        if (a.RequestURL is { Length: > 0 } requestUrl)
            return Compare("request URL", [Exchange(a).Url.ToString()], op ?? Operator.Equals, state.Substitute(requestUrl));

        if (a.Expression is { Length: > 0 } || a.Path is { Length: > 0 })
        {
            var source = state.SourceOrLast(a.SourceId, "assert");
            var what = a.Expression is { Length: > 0 } e ? $"'{e}'" : $"path '{a.Path}'";
            if (a.CompareToSourceId is { Length: > 0 } otherId)
            {
                var other = state.Source(otherId);
                var theirs = a.CompareToSourceExpression is { Length: > 0 } ce ? ScriptState.Values(other, ce)
                    : a.CompareToSourcePath is { Length: > 0 } cp ? XPathPaths.Evaluate(other, cp)
                    : throw new AssertionSetupException("compareToSourceId needs compareToSourceExpression or compareToSourcePath");
                if (theirs.Count == 0) return ActionOutcome.Fail($"{what} on '{otherId}' gave nothing to compare with");
                return Compare(what, Evaluate(a, source), op ?? Operator.Equals, theirs[0]);
            }
            if (expected is null && op is null or Operator.Eval && a.Expression is { Length: > 0 } boolean)
                return ScriptState.IsTrue(source, boolean)
                    ? ActionOutcome.Pass($"'{boolean}' is true")
                    : ActionOutcome.Fail($"'{boolean}' is not true (it gave [{string.Join(", ", ScriptState.Values(source, boolean))}])");
            return Compare(what, Evaluate(a, source), op ?? Operator.Equals, expected);
        }
        if (a.CompareToSourceId is { Length: > 0 } compareId && a.CompareToSourceExpression is { Length: > 0 } compareExpression)
        {
            // compareToSourceExpression alone: the same expression on the last response and on the other source.
            var mine = ScriptState.Values(state.SourceOrLast(a.SourceId, "assert"), compareExpression);
            var theirs = ScriptState.Values(state.Source(compareId), compareExpression);
            if (theirs.Count == 0) return ActionOutcome.Fail($"'{compareExpression}' on '{compareId}' gave nothing to compare with");
            return Compare($"'{compareExpression}'", mine, op ?? Operator.Equals, theirs[0]);
        }
        throw new AssertionSetupException("this assert checks nothing this runner understands (no response, responseCode, contentType, headerField, resource, expression, path, minimumId, navigationLinks, requestMethod, requestURL or validateProfileId)");
    }

    private static IReadOnlyList<string> Evaluate(Assert a, Resource source) =>
        a.Expression is { Length: > 0 } e ? ScriptState.Values(source, e) : XPathPaths.Evaluate(source, a.Path!);

    private Exchange Exchange(Assert a)
    {
        if (a.SourceId is { Length: > 0 } sid && state.ExchangeFor(sid) is { } kept) return kept;
        return state.Last ?? throw new AssertionSetupException("there is no request/response to check yet");
    }

    /// <summary>Operators of TestScript (assert-operator-codes); equality and order look at the first value, as XPath's string() does.</summary>
    internal static ActionOutcome Compare(string what, IReadOnlyList<string> actual, Operator op, string? expected, string note = "")
    {
        var first = actual.Count > 0 ? actual[0] : null;
        var shown = actual.Count == 0 ? "nothing" : actual.Count == 1 ? $"'{first}'" : $"[{string.Join(", ", actual.Take(5).Select(x => $"'{x}'"))}{(actual.Count > 5 ? ", …" : "")}]";
        bool NeedValue() => expected is not null ? true : throw new AssertionSetupException($"operator '{op.GetLiteral()}' on {what} needs a value");
        var (ok, wanted) = op switch
        {
            Operator.Empty => (actual.All(string.IsNullOrEmpty), "empty"),
            Operator.NotEmpty => (actual.Any(x => x.Length > 0), "not empty"),
            Operator.Equals => (NeedValue() && first == expected, $"'{expected}'"),
            Operator.NotEquals => (NeedValue() && first != expected, $"not '{expected}'"),
            Operator.In => (NeedValue() && first is not null && expected!.Split(',').Select(x => x.Trim()).Contains(first), $"one of {expected}"),
            Operator.NotIn => (NeedValue() && (first is null || !expected!.Split(',').Select(x => x.Trim()).Contains(first)), $"none of {expected}"),
            Operator.GreaterThan => (NeedValue() && first is not null && Order(first, expected!) > 0, $"greater than '{expected}'"),
            Operator.LessThan => (NeedValue() && first is not null && Order(first, expected!) < 0, $"less than '{expected}'"),
            Operator.Contains => (NeedValue() && actual.Any(x => x.Contains(expected!, StringComparison.Ordinal)), $"containing '{expected}'"),
            Operator.NotContains => (NeedValue() && !actual.Any(x => x.Contains(expected!, StringComparison.Ordinal)), $"not containing '{expected}'"),
            _ => throw new AssertionSetupException($"operator '{op.GetLiteral()}' is not supported on {what}"),
        };
        return ok
            ? ActionOutcome.Pass($"{what} is {shown}{note}")
            : ActionOutcome.Fail($"expected {what} {wanted}{note}, got {shown}");
    }

    private static int Order(string a, string b) =>
        decimal.TryParse(a, NumberStyles.Number, CultureInfo.InvariantCulture, out var x) && decimal.TryParse(b, NumberStyles.Number, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);

    /// <summary>minimumId: every element of the minimum fixture (its id and meta aside) is in the response, with the same value.</summary>
    private static ActionOutcome Minimum(Resource actual, Resource minimum, string minimumId)
    {
        if (actual.TypeName != minimum.TypeName)
            return ActionOutcome.Fail($"minimum '{minimumId}' is a {minimum.TypeName}, the response is a {actual.TypeName}");
        var present = actual.EnumerateElements().ToDictionary(e => e.Key, e => Listed(e.Value));
        var missing = minimum.EnumerateElements()
            .Where(e => e.Key is not ("id" or "meta" or "text"))
            .Where(e => !present.TryGetValue(e.Key, out var have) || !Listed(e.Value).All(w => have.Any(h => h.Matches(w))))
            .Select(e => e.Key).ToList();
        return missing.Count == 0
            ? ActionOutcome.Pass($"the response holds everything in minimum '{minimumId}'")
            : ActionOutcome.Fail($"the response lacks or differs from minimum '{minimumId}' in: {string.Join(", ", missing)}");
    }

    private static IReadOnlyList<Base> Listed(object value) => value is IEnumerable<Base> list ? list.ToList() : [(Base)value];

    private static ActionOutcome NavigationLinks(Resource resource, bool wanted)
    {
        if (resource is not Bundle bundle) return ActionOutcome.Fail($"navigationLinks: expected a Bundle, got {resource.TypeName}");
        var relations = bundle.Link.Select(l => l.Relation).ToHashSet();
        var more = bundle.Total is { } total && total > bundle.Entry.Count(e => e.Search?.Mode != Bundle.SearchEntryMode.Include);
        var ok = relations.Contains("self") && (!more || relations.Contains("next"));
        return ok == wanted
            ? ActionOutcome.Pass($"navigation links: [{string.Join(", ", relations)}]")
            : ActionOutcome.Fail($"navigation links {(wanted ? "incomplete" : "present")}: [{string.Join(", ", relations)}]{(more ? " and more results than entries" : "")}");
    }

    private async Task<ActionOutcome> ValidateAsync(Assert a, string profileId, CancellationToken cancel)
    {
        var profile = state.Script.Profile.FirstOrDefault(p => p.ElementId == profileId)?.Reference
            ?? throw new AssertionSetupException($"there is no profile '{profileId}' in this TestScript");
        return await validation.ValidateAsync(state.SourceOrLast(a.SourceId, "validateProfileId"), profile, cancel);
    }
}
