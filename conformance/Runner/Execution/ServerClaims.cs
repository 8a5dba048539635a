using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCare.Conformance.Execution;

/// <summary>
/// What the server under test claims in its CapabilityStatement, and which of a TestScript's needs it does not claim:
/// a script is run only when everything it does is claimed (otherwise it is listed as not run, with the reason).
/// </summary>
public sealed class ServerClaims(CapabilityStatement statement)
{
    private readonly CapabilityStatement.RestComponent? _rest = statement.Rest.FirstOrDefault(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server);

    public CapabilityStatement Statement => statement;

    public bool ClaimsType(string type, string interaction) =>
        Resource(type)?.Interaction.Any(i => i.Code?.GetLiteral() == interaction) == true;

    public bool ClaimsSystem(string interaction) => _rest?.Interaction.Any(i => i.Code?.GetLiteral() == interaction) == true;

    /// <summary>An operation ($name) at system level or on the given type (any type when none is given).</summary>
    public bool ClaimsOperation(string name, string? type = null) =>
        _rest?.Operation.Any(o => Named(o, name)) == true
        || (type is null ? _rest?.Resource.Any(r => r.Operation.Any(o => Named(o, name))) == true : Resource(type)?.Operation.Any(o => Named(o, name)) == true);

    private static bool Named(CapabilityStatement.OperationComponent o, string name) =>
        string.Equals(o.Name?.TrimStart('$'), name, StringComparison.Ordinal)
        || o.Definition?.EndsWith("/" + name, StringComparison.Ordinal) == true;

    private CapabilityStatement.ResourceComponent? Resource(string type) =>
        _rest?.Resource.FirstOrDefault(r => r.Type == type);

    /// <summary>Why the script cannot be run against this server, one reason per unclaimed need; empty when it applies.</summary>
    public IReadOnlyList<string> Unclaimed(TestScript script, IReadOnlyDictionary<string, Resource> fixtures)
    {
        var reasons = new List<string>();
        void Need(bool claimed, string what) { if (!claimed && !reasons.Contains(what)) reasons.Add(what); }

        foreach (var fixture in script.Fixture)
        {
            if (fixtures.GetValueOrDefault(fixture.ElementId ?? "") is not { } resource) continue;
            if (fixture.Autocreate == true) Need(ClaimsType(resource.TypeName, "create"), $"create {resource.TypeName} (autocreate)");
            if (fixture.Autodelete == true) Need(ClaimsType(resource.TypeName, "delete"), $"delete {resource.TypeName} (autodelete)");
        }
        foreach (var op in Operations(script))
        {
            if (op.Destination > 1 || op.Origin > 1)
                Need(false, "a second server (origin/destination above 1), and this runner tests one");
            var code = op.Type?.Code;
            if (code is null) continue;
            var type = op.Resource?.GetLiteral()
                ?? (op.SourceId is { } s ? fixtures.GetValueOrDefault(s)?.TypeName : null)
                ?? (op.TargetId is { } t ? fixtures.GetValueOrDefault(t)?.TypeName : null);
            var typeLevel = code switch
            {
                "read" or "vread" or "patch" or "delete" or "create" => code,
                "update" or "updateCreate" => "update",
                "deleteCondSingle" or "deleteCondMultiple" => "delete",
                "search" or "searchType" => "search-type",
                "history" or "historyInstance" => "history-instance",
                "historyType" => "history-type",
                _ => null,
            };
            if (typeLevel is not null)
                Need(type is null ? statement.Rest.SelectMany(r => r.Resource).Any(r => r.Interaction.Any(i => i.Code?.GetLiteral() == typeLevel)) : ClaimsType(type, typeLevel),
                    $"{typeLevel} on {type ?? "any type"}");
            if (code == "updateCreate" && type is not null) Need(Resource(type)?.UpdateCreate == true, $"update-as-create on {type}");
            if (code == "deleteCondMultiple" && type is not null) Need(Resource(type)?.ConditionalDelete == CapabilityStatement.ConditionalDeleteStatus.Multiple, $"conditional delete of several {type}");
            if (code is "searchSystem") Need(ClaimsSystem("search-system"), "search-system");
            if (code is "historySystem") Need(ClaimsSystem("history-system"), "history-system");
            if (code is "batch" or "transaction") Need(ClaimsSystem(code), code);
            if (!OperationRequest.Interactions.Contains(code)) Need(ClaimsOperation(code, type), $"${code}{(type is null ? "" : " on " + type)}");
        }
        if (Asserts(script).Any(a => a.ValidateProfileId is { Length: > 0 }))
            Need(ClaimsOperation("validate"), "$validate (for validateProfileId asserts)");
        return reasons.Select(r => r.Contains("second server") ? "needs " + r : $"needs {r}, which the server's CapabilityStatement does not claim").ToList();
    }

    internal static IEnumerable<TestScript.OperationComponent> Operations(TestScript script) =>
        AllActions(script).Select(a => a.Operation).OfType<TestScript.OperationComponent>();

    internal static IEnumerable<TestScript.AssertComponent> Asserts(TestScript script) =>
        AllActions(script).Select(a => a.Assert).OfType<TestScript.AssertComponent>();

    private static IEnumerable<(TestScript.OperationComponent? Operation, TestScript.AssertComponent? Assert)> AllActions(TestScript script) =>
        (script.Setup?.Action.Select(a => ((TestScript.OperationComponent?)a.Operation, a.Assert)) ?? [])
            .Concat(script.Test.SelectMany(t => t.Action.Select(a => (a.Operation, a.Assert))))
            .Concat(script.Teardown?.Action.Select(a => ((TestScript.OperationComponent?)a.Operation, (TestScript.AssertComponent?)null)) ?? []);
}
