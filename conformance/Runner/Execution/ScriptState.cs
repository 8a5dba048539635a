using System.Text.RegularExpressions;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace FhirCare.Conformance.Execution;

/// <summary>Where a request pointed: a resource on the server, as targetId and vread need it.</summary>
public sealed record ServerResource(string Type, string Id, string? Version);

/// <summary>
/// Everything one run of one TestScript remembers: its fixtures, the exchanges kept under requestId/responseId,
/// the last exchange, which fixtures now exist on the server under which id, and its variables.
/// </summary>
public sealed partial class ScriptState(TestScript script, IReadOnlyDictionary<string, Resource> fixtures, IReadOnlyDictionary<string, string> variableOverrides)
{
    private readonly Dictionary<string, Exchange> _responses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Exchange> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServerResource> _onServer = new(StringComparer.Ordinal);

    public TestScript Script => script;
    public Exchange? Last { get; private set; }

    public void Record(Exchange exchange, string? requestId, string? responseId)
    {
        Last = exchange;
        if (requestId is { Length: > 0 }) _requests[requestId] = exchange;
        if (responseId is { Length: > 0 }) _responses[responseId] = exchange;
    }

    /// <summary>A fixture was written to the server (create, update, autocreate): targetId and its variables now mean that instance.</summary>
    public void Placed(string fixtureId, ServerResource where) => _onServer[fixtureId] = where;

    public ServerResource? PlacedAt(string fixtureId) => _onServer.GetValueOrDefault(fixtureId);

    public bool IsFixture(string id) => fixtures.ContainsKey(id);

    public Resource Fixture(string id) => fixtures.TryGetValue(id, out var f)
        ? f
        : throw new AssertionSetupException($"there is no fixture '{id}' in this TestScript");

    /// <summary>The exchange kept under a requestId or responseId.</summary>
    public Exchange? ExchangeFor(string id) => _responses.GetValueOrDefault(id) ?? _requests.GetValueOrDefault(id);

    /// <summary>
    /// The resource a sourceId names: a response body kept under responseId, a request body under requestId, or a
    /// fixture (carrying the id the server gave it, once it has been written).
    /// </summary>
    public Resource Source(string id)
    {
        if (_responses.TryGetValue(id, out var response))
            return response.ResponseResource ?? throw new AssertionSetupException($"the response '{id}' (HTTP {response.Status}) has no FHIR resource body");
        if (_requests.TryGetValue(id, out var request))
            return request.RequestResource ?? throw new AssertionSetupException($"the request '{id}' had no FHIR resource body");
        var fixture = Fixture(id);
        if (!_onServer.TryGetValue(id, out var placed)) return fixture;
        var copy = (Resource)fixture.DeepCopy();
        copy.Id = placed.Id;
        return copy;
    }

    /// <summary>The resource on the server a targetId names.</summary>
    public ServerResource Target(string id)
    {
        if (_onServer.TryGetValue(id, out var placed)) return placed;
        if (_responses.TryGetValue(id, out var response))
            return Where(response) ?? throw new AssertionSetupException($"the response '{id}' names no resource (no body with an id, no Location)");
        var fixture = Fixture(id);
        return fixture.Id is { Length: > 0 } fixtureId
            ? new ServerResource(fixture.TypeName, fixtureId, null)
            : throw new AssertionSetupException($"fixture '{id}' has no id and has not been written to the server");
    }

    /// <summary>The resource a write answered with: the body's id and version, else the Location header.</summary>
    public static ServerResource? Where(Exchange exchange)
    {
        if (exchange.ResponseResource is { Id.Length: > 0 } r and not OperationOutcome)
            return new ServerResource(r.TypeName, r.Id, r.Meta?.VersionId ?? ETagVersion(exchange));
        var location = exchange.ResponseHeader("Location") ?? exchange.ResponseHeader("Content-Location");
        if (location is null) return null;
        var match = LocationPattern().Match(location);
        return match.Success
            ? new ServerResource(match.Groups["type"].Value, match.Groups["id"].Value, match.Groups["vid"].Success ? match.Groups["vid"].Value : ETagVersion(exchange))
            : null;
    }

    public static string? ETagVersion(Exchange exchange) =>
        exchange.ResponseHeader("ETag") is { Length: > 0 } etag ? etag.Replace("W/", "").Trim('"') : null;

    [GeneratedRegex(@"(?:^|/)(?<type>[A-Z][A-Za-z]+)/(?<id>[A-Za-z0-9\-\.]{1,64})(?:/_history/(?<vid>[^/?#]+))?/?(?:[?#].*)?$")]
    private static partial Regex LocationPattern();

    /// <summary>Replaces every ${name} with the variable's value, evaluated now (variables are evaluated where they are used).</summary>
    public string Substitute(string text) => VariableReference().Replace(text, m => Variable(m.Groups[1].Value));

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex VariableReference();

    public string Variable(string name)
    {
        if (variableOverrides.TryGetValue(name, out var given)) return given;
        var variable = script.Variable.FirstOrDefault(v => v.Name == name)
            ?? throw new AssertionSetupException($"the variable '{name}' is not defined in this TestScript");
        var value = Evaluate(variable);
        return value ?? variable.DefaultValue
            ?? throw new AssertionSetupException($"the variable '{name}' has no value ({Describe(variable)} gave nothing, and it has no defaultValue)");
    }

    private string? Evaluate(TestScript.VariableComponent v)
    {
        if (v.HeaderField is { Length: > 0 } header)
        {
            if (v.SourceId is { Length: > 0 } sid && _requests.TryGetValue(sid, out var request) && !_responses.ContainsKey(sid))
                return request.RequestHeader(header);
            var exchange = v.SourceId is { Length: > 0 } source
                ? ExchangeFor(source) ?? throw new AssertionSetupException($"variable '{v.Name}': no exchange was kept under '{source}' (yet)")
                : Last;
            return exchange?.ResponseHeader(header);
        }
        if (v.Expression is { Length: > 0 } expression)
            return Values(SourceOrLast(v.SourceId, $"variable '{v.Name}'"), expression).FirstOrDefault();
        if (v.Path is { Length: > 0 } path)
            return XPathPaths.Evaluate(SourceOrLast(v.SourceId, $"variable '{v.Name}'"), path).FirstOrDefault();
        return null;
    }

    private static string Describe(TestScript.VariableComponent v) =>
        v.HeaderField is { } h ? $"header '{h}'" : v.Expression is { } e ? $"expression '{e}'" : v.Path is { } p ? $"path '{p}'" : "it names no header, expression or path, so it must be given (--var)";

    public Resource SourceOrLast(string? sourceId, string what)
    {
        if (sourceId is { Length: > 0 }) return Source(sourceId);
        if (Last is null) throw new AssertionSetupException($"{what}: there is no response yet");
        return Last.ResponseResource ?? throw new AssertionSetupException($"{what}: the last response (HTTP {Last.Status}) has no FHIR resource body");
    }

    /// <summary>A FHIRPath expression's results as strings (primitives by value; other elements are not comparable and give their type).</summary>
    public static IReadOnlyList<string> Values(Resource resource, string expression)
    {
        try
        {
            return resource.Select(expression, new FhirEvaluationContext()).Select(AsText).ToList();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or InvalidCastException or NotSupportedException)
        {
            throw new AssertionSetupException($"expression '{expression}' cannot be evaluated: {e.Message}");
        }
    }

    public static bool IsTrue(Resource resource, string expression)
    {
        try
        {
            return resource.IsTrue(expression, new FhirEvaluationContext());
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or InvalidCastException or NotSupportedException)
        {
            throw new AssertionSetupException($"expression '{expression}' cannot be evaluated: {e.Message}");
        }
    }

    private static string AsText(Base? value) => value switch
    {
        PrimitiveType p => p.ToString() ?? "",
        null => "",
        _ => value.TypeName,
    };
}
