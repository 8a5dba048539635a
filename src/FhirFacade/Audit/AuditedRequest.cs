using Hl7.Fhir.Model;
using Action = Hl7.Fhir.Model.AuditEvent.AuditEventAction;

namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// What a FHIR request is, for its AuditEvent: the restful interaction (http://hl7.org/fhir/restful-interaction),
/// the action (C R U D E), the resource type and id it names, the operation and the patient it concerns. Read from the
/// method and path alone, so every request has one, including those no endpoint answered. Handlers that learn more
/// (batch or transaction, the id a create assigned) add it to <see cref="AuditFacts"/>.
/// </summary>
public sealed record AuditedRequest(string? Interaction, Action Action, string? Type, string? Id, string? Operation, string? Patient)
{
    public static AuditedRequest Of(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var method = HttpMethods.IsHead(request.Method) ? "GET" : request.Method.ToUpperInvariant();
        if (Array.FindIndex(s, x => x.StartsWith('$')) is var op and >= 0)
        {
            var operation = s[op][1..];
            if (operation is "export-status" or "export-file") operation = "export";
            var type = op > 0 ? s[0] : null;
            var id = op > 1 ? s[1] : null;
            return new("operation", Action.E, type, id, operation, PatientOf(type, id, request));
        }
        var (interaction, action, t, i) = (method, s) switch
        {
            ("GET", ["metadata"]) => ("capabilities", Action.R, null, null),
            ("GET", ["_history"]) => ("history-system", Action.R, null, null),
            ("GET", []) or ("POST", ["_search"]) => ("search-system", Action.R, null, null),
            ("POST", []) => ("transaction", Action.E, null, null),
            ("GET", [var type]) => ("search-type", Action.R, type, null),
            ("POST", [var type, "_search"]) => ("search-type", Action.R, type, null),
            ("POST", [var type]) => ("create", Action.C, type, null),
            ("PUT", [var type]) => ("update", Action.U, type, null),
            ("DELETE", [var type]) => ("delete", Action.D, type, null),
            ("GET", [var type, "_history"]) => ("history-type", Action.R, type, null),
            ("GET", [var type, var id]) => ("read", Action.R, type, id),
            ("PUT", [var type, var id]) => ("update", Action.U, type, id),
            ("PATCH", [var type, var id]) => ("patch", Action.U, type, id),
            ("DELETE", [var type, var id]) => ("delete", Action.D, type, id),
            ("GET", [var type, var id, "_history"]) => ("history-instance", Action.R, type, id),
            ("GET", [var type, var id, "_history", _]) => ("vread", Action.R, type, id),
            ("GET", [var compartment, var id, _]) => ("search-type", Action.R, compartment, id), // Patient/[id]/[type]
            _ => ((string?)null, ActionOf(method), (string?)null, (string?)null),
        };
        return new(interaction, action, t, i, null, PatientOf(t, i, request));
    }

    private static Action ActionOf(string method) => method switch
    {
        "POST" => Action.C,
        "PUT" or "PATCH" => Action.U,
        "DELETE" => Action.D,
        _ => Action.R,
    };

    /// <summary>The patient a request names: Patient/[id] (and its compartment), or a patient/subject search parameter.</summary>
    private static string? PatientOf(string? type, string? id, HttpRequest request)
    {
        if (type == "Patient" && id is not null) return id;
        foreach (var name in (string[])["patient", "subject", "subject:Patient"])
        {
            var value = request.Query[name].ToString();
            if (value.Length == 0 || value.Contains(',')) continue;
            if (value.StartsWith("Patient/", StringComparison.Ordinal)) return value["Patient/".Length..];
            if (name == "patient" && Rest.ResourceTypes.IsValidId(value)) return value;
        }
        return null;
    }
}
