using FhirCare.Conformance.Execution;
using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Generation;

/// <summary>
/// The generator asks the server it generates from whether a fixture is valid (<c>POST [type]/$validate</c>), so the
/// kit only writes resources a validating server accepts: official examples it refuses are left out (and listed),
/// a planted value that breaks a rule is not planted. A server that claims no $validate judges nothing.
/// </summary>
public sealed class FixtureValidation(FhirHttp http, ServerClaims claims)
{
    /// <summary>The server's error issues for <paramref name="resource"/> ("diagnostics at path"), or none.</summary>
    public IReadOnlyList<string> Problems(Resource resource)
    {
        if (!claims.ClaimsOperation("validate", resource.TypeName)) return [];
        var request = new OperationRequest("POST", $"{resource.TypeName}/$validate", FhirWire.Json, FhirWire.Json, resource, []);
        var exchange = http.SendAsync(request, CancellationToken.None).GetAwaiter().GetResult();
        if (exchange.ResponseResource is not OperationOutcome outcome)
            return [$"$validate answered HTTP {exchange.Status} without an OperationOutcome"];
        return outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{i.Diagnostics ?? i.Code?.ToString()}{(i.Expression.FirstOrDefault() is { } at ? " at " + at : "")}").ToList();
    }
}
