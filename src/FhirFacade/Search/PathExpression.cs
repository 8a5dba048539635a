using System.Collections;
using System.Text.RegularExpressions;
using FhirCare.FhirFacade.Search.Parameters;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// A fast evaluator for the shapes most search-parameter expressions take — <c>Type.a.b</c>, <c>(Type.a as T)</c>,
/// <c>Type.a.as(T)</c>, <c>Type.a.where(resolve() is T)</c>, <c>Type.a.where(b='x').c</c> — walking the POCOs directly.
/// Anything else stays with the FHIRPath engine. Index extraction runs on every write, so this is a hot path;
/// tests check it against FHIRPath on the official examples.
/// </summary>
public sealed partial class PathExpression
{
    private abstract record Step;
    private sealed record Child(string Name) : Step;
    private sealed record OfType(Type Type) : Step;
    private sealed record ResolvesTo(string Type) : Step;
    private sealed record WhereEquals(string Name, string Value) : Step;

    private readonly Step[] _steps;

    private PathExpression(Step[] steps) => _steps = steps;

    /// <summary>A union of paths ("A | B"), or null when any part needs the full FHIRPath engine.</summary>
    public static IReadOnlyList<PathExpression>? TryCompileUnion(string expression, string? resourceType)
    {
        var parts = new List<PathExpression>();
        foreach (var part in SearchParameterRegistry.SplitUnion(expression))
        {
            if (TryCompile(part, resourceType) is not { } path) return null;
            parts.Add(path);
        }
        return parts.Count == 0 ? null : parts;
    }

    /// <summary>The compiled path, or null when the expression needs the full FHIRPath engine.</summary>
    /// <param name="resourceType">The type the expression starts at ("Patient.name"); null for a path relative to
    /// the node it is evaluated on (composite components: "code", "value.as(Quantity)").</param>
    public static PathExpression? TryCompile(string expression, string? resourceType)
    {
        var text = expression.Trim();
        var steps = new List<Step>();
        var asMatch = AsPattern().Match(text);
        string? castTo = null;
        if (asMatch.Success) { text = asMatch.Groups[1].Value; castTo = asMatch.Groups[2].Value; }
        if (resourceType is not null)
        {
            if (text == resourceType) return new PathExpression([]);
            if (!text.StartsWith(resourceType + ".", StringComparison.Ordinal)) return null;
            text = text[(resourceType.Length + 1)..];
        }
        foreach (var token in Tokens(text))
        {
            Step? step = token switch
            {
                _ when IdentifierPattern().IsMatch(token) => new Child(token),
                _ when FunctionPattern().Match(token) is { Success: true } f => f.Groups[1].Value switch
                {
                    "as" or "ofType" => TypeOf(f.Groups[2].Value) is { } t ? new OfType(t) : null,
                    "where" when ResolvePattern().Match(f.Groups[2].Value) is { Success: true } r => new ResolvesTo(r.Groups[1].Value),
                    "where" when EqualsPattern().Match(f.Groups[2].Value) is { Success: true } e => new WhereEquals(e.Groups[1].Value, e.Groups[2].Value),
                    _ => null,
                },
                _ => null,
            };
            if (step is null) return null;
            steps.Add(step);
        }
        if (castTo is not null)
        {
            if (TypeOf(castTo) is not { } t) return null;
            steps.Add(new OfType(t));
        }
        return new PathExpression(steps.ToArray());
    }

    public void Evaluate(Base start, List<Base> into)
    {
        var current = new List<Base> { start };
        var next = new List<Base>();
        foreach (var step in _steps)
        {
            next.Clear();
            foreach (var node in current) Apply(step, node, next);
            (current, next) = (next, current);
            if (current.Count == 0) return;
        }
        into.AddRange(current);
    }

    private static void Apply(Step step, Base node, List<Base> into)
    {
        switch (step)
        {
            case Child c:
                if (!node.TryGetValue(c.Name, out var value) || value is null) return;
                if (value is IList list) { foreach (var item in list) if (item is Base b) into.Add(b); }
                else if (value is Base single) into.Add(single);
                return;
            case OfType t:
                if (t.Type.IsInstanceOfType(node)) into.Add(node);
                return;
            case ResolvesTo r:
                if (node is ResourceReference { Reference: { } reference } && ReferenceParameter.TypeOf(reference) == r.Type) into.Add(node);
                return;
            case WhereEquals w:
                if (node.TryGetValue(w.Name, out var v) && v is PrimitiveType p && p.ToString() == w.Value) into.Add(node);
                return;
        }
    }

    private static Type? TypeOf(string fhirType) => ModelInfo.GetTypeForFhirType(fhirType);

    /// <summary>Splits "a.b.where(x='y').c" on the dots outside parentheses and quotes.</summary>
    private static IEnumerable<string> Tokens(string path)
    {
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '\'') quoted = !quoted;
            else if (!quoted && c == '(') depth++;
            else if (!quoted && c == ')') depth--;
            else if (!quoted && depth == 0 && c == '.')
            {
                yield return path[start..i];
                start = i + 1;
            }
        }
        yield return path[start..];
    }

    [GeneratedRegex(@"^\((.+) as ([A-Za-z]+)\)$")]
    private static partial Regex AsPattern();

    [GeneratedRegex(@"^[a-z][A-Za-z0-9]*$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"^(as|ofType|where)\((.+)\)$")]
    private static partial Regex FunctionPattern();

    [GeneratedRegex(@"^resolve\(\) is ([A-Z][A-Za-z]+)$")]
    private static partial Regex ResolvePattern();

    [GeneratedRegex(@"^([a-z][A-Za-z0-9]*) ?= ?'([^']*)'$")]
    private static partial Regex EqualsPattern();
}
