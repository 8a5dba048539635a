using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Operation = Hl7.Fhir.Model.TestScript.OperationComponent;

namespace FhirCare.Conformance.Execution;

/// <summary>
/// The HTTP request a TestScript operation describes (testscript-operation-codes): method, URL relative to the base,
/// headers and body. <c>url</c> wins, then <c>params</c> after [type], then <c>targetId</c>.
/// </summary>
public sealed record OperationRequest(string Method, string Url, string Accept, string? ContentType, Resource? Body, IReadOnlyList<(string Name, string Value)> Headers)
{
    /// <summary>The codes this runner knows how to turn into a request; anything else is an extended operation ($code).</summary>
    public static readonly IReadOnlySet<string> Interactions = new HashSet<string>
    {
        "read", "vread", "update", "updateCreate", "patch", "delete", "deleteCondSingle", "deleteCondMultiple", "create",
        "search", "searchType", "searchSystem", "history", "historyInstance", "historyType", "historySystem",
        "capabilities", "batch", "transaction",
    };

    public static OperationRequest From(Operation op, ScriptState state)
    {
        var code = op.Type?.Code ?? throw new AssertionSetupException("the operation has no type code (and this runner needs one)");
        var accept = FhirWire.MediaType(op.Accept);
        var contentType = FhirWire.MediaType(op.ContentType);
        Resource? body = op.SourceId is { Length: > 0 } sourceId ? state.Source(sourceId) : null;
        var target = op.TargetId is { Length: > 0 } targetId ? state.Target(targetId) : null;
        var type = op.Resource?.GetLiteral() ?? target?.Type ?? body?.TypeName;
        var parameters = op.Params is { Length: > 0 } p ? state.Substitute(p) : null;

        string url;
        if (op.Url is { Length: > 0 } explicitUrl) url = state.Substitute(explicitUrl);
        else url = code switch
        {
            "capabilities" => "metadata" + parameters,
            "batch" or "transaction" => parameters ?? "",
            "searchSystem" or "historySystem" => (code == "historySystem" ? "_history" : "") + parameters,
            "create" => Typed(type, code) + parameters,
            "historyType" => Typed(type, code) + "/_history" + parameters,
            "search" or "searchType" or "deleteCondSingle" or "deleteCondMultiple" => Typed(type, code) + parameters,
            "history" or "historyInstance" when parameters is null && target is not null => $"{target.Type}/{target.Id}/_history",
            "history" when parameters is null => Typed(type, code) + "/_history",
            "vread" when parameters is null && target is not null => $"{target.Type}/{target.Id}/_history/{target.Version ?? throw new AssertionSetupException($"vread: the version of '{op.TargetId}' is not known")}",
            _ when parameters is not null => Typed(type, code) + parameters,
            _ when target is not null => $"{target.Type}/{target.Id}" + (Interactions.Contains(code) ? "" : "/$" + code),
            _ when !Interactions.Contains(code) => (type is null ? "" : type + "/") + "$" + code,
            "update" or "updateCreate" when body is { Id.Length: > 0 } => $"{body.TypeName}/{body.Id}",
            _ => throw new AssertionSetupException($"'{code}' needs a url, params or targetId to know which resource it is about"),
        };

        var method = op.Method?.ToString().ToUpperInvariant() ?? code switch
        {
            "create" or "batch" or "transaction" => "POST",
            "update" or "updateCreate" => "PUT",
            "patch" => "PATCH",
            "delete" or "deleteCondSingle" or "deleteCondMultiple" => "DELETE",
            _ when !Interactions.Contains(code) => body is null ? "GET" : "POST",
            _ => "GET",
        };

        if (body is not null && method is "PUT" && code is "update" or "updateCreate")
            body = WithIdOf(body, url); // the fixture's own id yields to the URL's: an update sends the id it addresses

        if (body is not null && method == "POST" && code == "create" && body.Id is not null)
        {
            body = (Resource)body.DeepCopy();
            body.Id = null; // create: the server assigns the id (http.html#create)
        }

        var headers = op.RequestHeader.Select(h => (h.Field ?? "", state.Substitute(h.Value ?? ""))).ToList();
        return new OperationRequest(method, url, accept, body is null ? null : contentType, body, headers);
    }

    private static string Typed(string? type, string code) =>
        type ?? throw new AssertionSetupException($"'{code}' needs a resource type (operation.resource, or a targetId/sourceId that has one)");

    private static Resource WithIdOf(Resource body, string url)
    {
        var segments = url.Split('?', '#')[0].Trim('/').Split('/');
        if (segments.Length < 2 || segments[^2] != body.TypeName) return body; // conditional update: the body keeps its own id
        var id = segments[^1];
        if (id.Length == 0 || id == body.Id) return body;
        var copy = (Resource)body.DeepCopy();
        copy.Id = id;
        return copy;
    }
}
