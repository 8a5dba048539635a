using System.Text;
using FhirCare.Conformance.Execution;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using static FhirCare.Conformance.Generation.ScriptBuilder;

namespace FhirCare.Conformance.Generation;

/// <summary>
/// Writes the generated part of the kit from a server's CapabilityStatement and the official R4 examples:
/// fixtures/ (the examples, tagged as kit fixtures; a minimal resource for types without one),
/// interactions/ and search/ (one TestScript per type each), system.json, and COVERAGE.md.
/// </summary>
public static class ScriptGenerator
{
    public const string KitSystem = "https://fhircare.org/fhir/CodeSystem/conformance-kit";

    /// <param name="examplesFolders">Folders of example resources (files named *-invalid.json are left out).</param>
    /// <param name="knownFailures">"Type?code" lines (a search left out) and "Type" lines (a type left out altogether).</param>
    /// <param name="problems">The server's errors for a resource (<see cref="FixtureValidation"/>): only resources without any become fixtures.</param>
    public static string Generate(CapabilityStatement statement, IReadOnlyList<SearchParameter> served, IReadOnlyList<string> examplesFolders, string output,
        IReadOnlySet<string> knownFailures, Func<Resource, IReadOnlyList<string>> problems)
    {
        var refused = new List<string>();
        var examples = examplesFolders.SelectMany(folder => Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
            .Where(file => !file.EndsWith("-invalid.json", StringComparison.Ordinal))
            .Select(file => (File: file, Resource: TryParse(file)))
            .Where(e => e.Resource is { Id: { Length: > 0 } })
            .Where(e =>
            {
                var found = problems(e.Resource!);
                if (found.Count > 0) refused.Add($"{Path.GetFileName(e.File)}: {string.Join("; ", found.Take(3))}");
                return found.Count == 0;
            })
            .Select(e => e.Resource!)
            .ToLookup(r => r.TypeName);
        var rest = statement.Rest.FirstOrDefault(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server)
            ?? throw new InvalidOperationException("the CapabilityStatement has no server rest component");

        foreach (var folder in new[] { "fixtures", "interactions", "search" })
        {
            var path = Path.Combine(output, folder);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            Directory.CreateDirectory(path);
        }
        var definitions = new SearchDefinitions(served);
        var coverage = new List<Coverage>();
        var scripts = 0;
        var leftOut = new List<string>();
        foreach (var claimed in rest.Resource.Where(r => r.Type is not null).OrderBy(r => r.Type, StringComparer.Ordinal))
        {
            var type = claimed.Type!;
            // A type clients cannot create (AuditEvent: the server records those) has no fixtures a script could make.
            if (!claimed.Interaction.Any(i => i.Code == CapabilityStatement.TypeRestfulInteraction.Create)) continue;
            if (knownFailures.Contains(type)) { leftOut.Add(type); continue; }
            var sources = examples[type].Any() ? examples[type].ToList() : [Valid(MinimalResources.Create(type, "kit-minimal"), problems)];
            var fixtures = sources.Select(r => (File: WriteFixture(output, Tagged(r, null)), Resource: Tagged(r, null))).ToList();
            var updated = WriteFixture(output, Tagged(sources[0], "updated"), ".updated");
            Write(output, "interactions", InteractionScripts.For(claimed, "../fixtures/" + Path.GetFileName(fixtures[0].File), "../fixtures/" + Path.GetFileName(updated)));
            scripts++;
            if (!claimed.Interaction.Any(i => i.Code == CapabilityStatement.TypeRestfulInteraction.SearchType) || claimed.SearchParam.Count == 0) continue;
            var (script, rows, planted) = SearchScripts.For(claimed, fixtures.Select(f => ("../fixtures/" + Path.GetFileName(f.File), f.Resource)).ToList(), definitions, knownFailures,
                n => ($"../fixtures/{type}-kit-search-{n}.json", Tagged(MinimalResources.Create(type, $"kit-search-{n}"), null)), problems);
            foreach (var (_, resource) in planted) WriteFixture(output, resource);
            coverage.AddRange(rows);
            if (script.Test.Count == 0) continue;
            Write(output, "search", script);
            scripts++;
        }
        WriteFixture(output, Tagged(MinimalResources.Create("Patient", "kit-system"), null));
        File.WriteAllText(Path.Combine(output, "system.json"), FhirWire.Pretty(SystemScripts.For(statement)));
        scripts++;
        File.WriteAllText(Path.Combine(output, "COVERAGE.md"), CoverageReport(coverage, refused, leftOut));
        var covered = coverage.Count(c => c.Reason is null);
        return $"{scripts} TestScripts in {output}; search parameters claimed: {coverage.Count}, covered: {covered}, not covered: {coverage.Count - covered} (see COVERAGE.md)";
    }

    /// <summary>A minimal resource the server refuses is a generator bug (a completion missing in <see cref="MinimalResources"/>): stop and say why.</summary>
    private static Resource Valid(Resource minimal, Func<Resource, IReadOnlyList<string>> problems)
    {
        var found = problems(minimal);
        if (found.Count > 0)
            throw new InvalidOperationException($"the kit's minimal {minimal.TypeName} is not valid on this server: {string.Join("; ", found)} " +
                "(complete it in MinimalResources, or list the type in known-failures.txt with the reason)");
        return minimal;
    }

    private static Resource? TryParse(string file)
    {
        try { return FhirWire.ParseFile(file); }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException or FormatException) { return null; }
    }

    /// <summary>A kit fixture carries the kit's tag, a test-data security label and the kit as its source (so _tag, _security, _source have values).</summary>
    private static Resource Tagged(Resource example, string? change)
    {
        var copy = (Resource)example.DeepCopy();
        copy.Meta ??= new Meta();
        copy.Meta.VersionId = null;
        copy.Meta.LastUpdated = null;
        copy.Meta.Tag.Add(new Coding(KitSystem, "fixture"));
        if (change is not null) copy.Meta.Tag.Add(new Coding(KitSystem, change));
        copy.Meta.Security.Add(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HTEST"));
        copy.Meta.Source ??= MinimalResources.Url;
        return copy;
    }

    private static string WriteFixture(string output, Resource resource, string suffix = "")
    {
        var file = Path.Combine(output, "fixtures", $"{resource.TypeName}-{resource.Id}{suffix}.json");
        File.WriteAllText(file, FhirWire.Pretty(resource));
        return file;
    }

    private static void Write(string output, string folder, TestScript script) =>
        File.WriteAllText(Path.Combine(output, folder, $"{script.Id}.json"), FhirWire.Pretty(script));

    private static string CoverageReport(IReadOnlyList<Coverage> rows, IReadOnlyList<string> refused, IReadOnlyList<string> leftOut)
    {
        var md = new StringBuilder();
        var covered = rows.Count(r => r.Reason is null);
        md.AppendLine("# Search parameter coverage of the generated TestScripts");
        md.AppendLine();
        md.AppendLine("Generated by `dotnet run --project conformance/Runner -- generate` (see conformance/README.md); do not edit by hand.");
        md.AppendLine();
        md.AppendLine($"Claimed by the CapabilityStatement: {rows.Count}. Covered by a search that must find its fixture and one that must not: {covered}. Not covered: {rows.Count - covered}.");
        md.AppendLine();
        if (leftOut.Count > 0)
        {
            md.AppendLine($"Types left out altogether (known-failures.txt says why): {string.Join(", ", leftOut)}.");
            md.AppendLine();
        }
        if (refused.Count > 0)
        {
            md.AppendLine("## Examples the server's $validate refuses (not used as fixtures)");
            md.AppendLine();
            foreach (var r in refused) md.AppendLine($"- {r}");
            md.AppendLine();
        }
        md.AppendLine("## Not covered, and why");
        md.AppendLine();
        foreach (var reason in rows.Where(r => r.Reason is not null).GroupBy(r => r.Reason).OrderByDescending(g => g.Count()))
            md.AppendLine($"- {reason.Key} ({reason.Count()}): {string.Join(", ", reason.Select(r => $"{r.Type}?{r.Code}"))}");
        md.AppendLine();
        md.AppendLine("## Covered");
        md.AppendLine();
        md.AppendLine("| search | type | fixture | finds it | does not |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows.Where(r => r.Reason is null))
            md.AppendLine($"| `{r.Type}?{r.Code}` | {r.ParamType} | {r.Fixture} | `{Cell(r.Matching)}` | `{Cell(r.NotMatching)}` |");
        return md.ToString();
    }

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|");
}
