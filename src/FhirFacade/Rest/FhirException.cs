using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest;

/// <summary>A FHIR error the client caused or must know about: answered as an OperationOutcome with <see cref="Status"/>.</summary>
public sealed class FhirException(int status, OperationOutcome outcome) : Exception(outcome.Issue.FirstOrDefault()?.Diagnostics)
{
    public int Status { get; } = status;
    public OperationOutcome Outcome { get; } = outcome;

    public static FhirException Of(int status, OperationOutcome.IssueType code, string diagnostics, string? expression = null) =>
        new(status, Outcomes.Error(code, diagnostics, expression));

    public static FhirException BadRequest(string diagnostics, string? expression = null, OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid) =>
        Of(400, code, diagnostics, expression);

    public static FhirException NotFound(string diagnostics) => Of(404, OperationOutcome.IssueType.NotFound, diagnostics);

    public static FhirException MultipleMatches(string diagnostics) => Of(412, OperationOutcome.IssueType.MultipleMatches, diagnostics);
}

/// <summary>Builders for OperationOutcomes: one issue per problem, with severity, code, FHIRPath expression and location.</summary>
public static class Outcomes
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string diagnostics, string? expression = null, string? location = null) =>
        new() { Issue = [Issue(OperationOutcome.IssueSeverity.Error, code, diagnostics, expression, location)] };

    public static OperationOutcome Information(string diagnostics) =>
        new() { Issue = [Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, diagnostics)] };

    public static OperationOutcome.IssueComponent Issue(
        OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string diagnostics, string? expression = null, string? location = null)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics };
        if (expression is not null) issue.Expression = [expression];
        if (location is not null) issue.Location = [location];
        return issue;
    }
}
