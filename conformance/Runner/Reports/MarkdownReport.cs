using System.Text;
using FhirCare.Conformance.Execution;
using Hl7.Fhir.Model;
using Result = Hl7.Fhir.Model.TestReport.TestReportActionResult;

namespace FhirCare.Conformance.Reports;

/// <summary>The human-readable report: a summary, then every script with pass/fail per test and per action and every failure message.</summary>
public static class MarkdownReport
{
    public static string Write(Uri baseUrl, IReadOnlyList<ScriptResult> results, TimeSpan elapsed)
    {
        var ran = results.Where(r => r.Ran).ToList();
        var failed = ran.Where(r => !r.Passed).ToList();
        var md = new StringBuilder();
        md.AppendLine($"# Conformance report: {baseUrl}");
        md.AppendLine();
        md.AppendLine($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalSeconds:0.0} s. TestScripts: {results.Count}; run {ran.Count}, " +
                      $"passed {ran.Count - failed.Count}, failed {failed.Count}, not run {results.Count - ran.Count}. " +
                      $"Asserts: {Count(ran, Result.Pass)} passed, {Count(ran, Result.Fail)} failed, {Count(ran, Result.Error)} errors, {Count(ran, Result.Warning)} warnings, {Count(ran, Result.Skip)} skipped.");
        md.AppendLine();
        md.AppendLine("| TestScript | file | result | tests passed | asserts passed |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var r in results)
        {
            var tests = r.Report?.Test ?? [];
            var testsPassed = tests.Count(t => t.Action.All(a => (a.Assert?.Result ?? a.Operation?.Result) is Result.Pass or Result.Warning));
            var asserts = r.Actions.Where(a => a.IsAssert && a.Phase != "teardown").ToList();
            md.AppendLine($"| {Cell(r.Script.Name)} | `{Cell(Relative(r.Script.Path))}` | {(r.Ran ? r.Passed ? "pass" : "**FAIL**" : "not run")} | " +
                          $"{(r.Ran ? $"{testsPassed}/{tests.Count}" : "")} | {(r.Ran ? $"{asserts.Count(a => a.Outcome.Result is Result.Pass or Result.Warning)}/{asserts.Count}" : "")} |");
        }
        var notRun = results.Where(r => !r.Ran).ToList();
        if (notRun.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Not run");
            md.AppendLine();
            foreach (var r in notRun) md.AppendLine($"- **{r.Script.Name}** (`{Relative(r.Script.Path)}`): {string.Join("; ", r.NotRun)}");
        }
        foreach (var r in ran.OrderBy(r => r.Passed))
        {
            md.AppendLine();
            md.AppendLine($"## {(r.Passed ? "pass" : "FAIL")}: {r.Script.Name}");
            md.AppendLine();
            if (r.Script.Script.Description is { Length: > 0 } description) md.AppendLine($"{description.Trim()}");
            md.AppendLine();
            if (r.Passed) md.AppendLine("<details><summary>actions</summary>").AppendLine();
            foreach (var phase in r.Actions.GroupBy(a => a.Phase))
            {
                md.AppendLine($"**{phase.Key}**");
                md.AppendLine();
                foreach (var a in phase)
                    md.AppendLine($"- {Mark(a.Outcome.Result)} {(a.IsAssert ? "assert" : "operation")} *{Cell(a.Label)}*: {Cell(a.Outcome.Message)}");
                md.AppendLine();
            }
            if (r.Passed) md.AppendLine("</details>");
        }
        return md.ToString();
    }

    private static int Count(IEnumerable<ScriptResult> results, Result result) =>
        results.Sum(r => r.Actions.Count(a => a.IsAssert && a.Outcome.Result == result));

    private static string Mark(Result? result) => result switch
    {
        Result.Pass => "pass",
        Result.Fail => "**FAIL**",
        Result.Error => "**ERROR**",
        Result.Warning => "warning",
        _ => "skip",
    };

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private static string Relative(string path) => Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
}
