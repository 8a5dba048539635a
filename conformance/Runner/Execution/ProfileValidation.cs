using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Execution;

/// <summary>
/// validateProfileId: the server under test judges the resource, through <c>POST [type]/$validate?profile=[url]</c>
/// (resource-operation-validate). Without $validate the assert is an error that says so; it never passes.
/// </summary>
public sealed class ProfileValidation(FhirHttp http, ServerClaims claims)
{
    public async Task<ActionOutcome> ValidateAsync(Resource resource, string profile, CancellationToken cancel)
    {
        if (!claims.ClaimsOperation("validate", resource.TypeName))
            return ActionOutcome.Error($"cannot check profile {profile}: the server lacks $validate (its CapabilityStatement claims no validate operation for {resource.TypeName})");
        var request = new OperationRequest("POST", $"{resource.TypeName}/$validate?profile={Uri.EscapeDataString(profile)}", FhirWire.Json, FhirWire.Json, resource, []);
        var exchange = await http.SendAsync(request, cancel);
        if (exchange.Status is 404 or 405 or 501)
            return ActionOutcome.Error($"cannot check profile {profile}: the server lacks $validate (HTTP {exchange.Status} from {exchange.Url})");
        if (exchange.ResponseResource is not OperationOutcome outcome)
            return ActionOutcome.Error($"$validate answered HTTP {exchange.Status} without an OperationOutcome");
        var errors = outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList();
        if (errors.Count == 0 && exchange.Status is >= 200 and < 300)
            return ActionOutcome.Pass($"valid against {profile}");
        return ActionOutcome.Fail($"not valid against {profile} (HTTP {exchange.Status}): " + string.Join("; ",
            errors.Take(5).Select(i => $"{i.Diagnostics ?? i.Details?.Text ?? i.Code?.ToString()}{(i.Expression.FirstOrDefault() is { } at ? " at " + at : "")}")));
    }
}
