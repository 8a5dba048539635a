using Hl7.Fhir.Model;
using IssueSeverity = Hl7.Fhir.Model.OperationOutcome.IssueSeverity;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Validation;

/// <summary>The problems found in one validation, each with severity, code and the FHIRPath of the element concerned.</summary>
public sealed class ValidationIssues
{
    private readonly List<OperationOutcome.IssueComponent> _issues = [];
    private readonly HashSet<(string, string)> _seen = [];

    public IReadOnlyList<OperationOutcome.IssueComponent> All => _issues;
    public bool HasErrors => _issues.Any(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal);

    public void Error(IssueType code, string path, string message) => Add(IssueSeverity.Error, code, path, message);
    public void Warning(IssueType code, string path, string message) => Add(IssueSeverity.Warning, code, path, message);
    public void Information(IssueType code, string path, string message) => Add(IssueSeverity.Information, code, path, message);

    /// <summary>The same message at the same place is reported once (a profile and its base can both say it).</summary>
    public void Add(IssueSeverity severity, IssueType code, string path, string message)
    {
        if (!_seen.Add((path, message))) return;
        _issues.Add(new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = message, Expression = [path] });
    }

    public void AddRange(IEnumerable<OperationOutcome.IssueComponent> issues)
    {
        foreach (var i in issues) _issues.Add(i);
    }

    public OperationOutcome ToOutcome()
    {
        var outcome = new OperationOutcome { Issue = [.. _issues.OrderBy(i => i.Severity)] };
        if (outcome.Issue.Count == 0)
            outcome.Issue.Add(new OperationOutcome.IssueComponent { Severity = IssueSeverity.Information, Code = IssueType.Informational, Diagnostics = "No issues found" });
        return outcome;
    }
}
