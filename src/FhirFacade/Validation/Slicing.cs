using Hl7.Fhir.Model;
using Discriminator = Hl7.Fhir.Model.ElementDefinition.DiscriminatorType;

namespace FhirCare.FhirFacade.Validation;

/// <summary>Whether an item belongs to a slice; Unknown when a discriminator needs a reference that cannot be resolved here.</summary>
public enum SliceMatch { No, Yes, Unknown }

/// <summary>What slicing needs beyond the definitions: the resource being validated (to resolve contained references)
/// and a conformance check of an element against a profile (profile discriminators).</summary>
public sealed record SliceContext(Definitions Definitions, Resource Root, Func<Base, string, bool> Conforms);

/// <summary>
/// Which slice an instance element belongs to (profiling.html#discriminator). Every discriminator type:
/// <list type="bullet">
/// <item>value and pattern compare the element at the discriminator path with the slice's fixed or pattern value
/// there (for extensions, the url is also taken from the slice's extension profile);</item>
/// <item>exists: the slice's element at the path has min ≥ 1 (must be present) or max = 0 (must be absent);</item>
/// <item>type compares the instance type (after <c>resolve()</c>: the type the reference points at);</item>
/// <item>profile: the element at the path conforms to one of the slice's profiles there (type.profile, or
/// type.targetProfile after <c>resolve()</c>).</item>
/// </list>
/// Paths are the restricted FHIRPath of discriminators: names, <c>$this</c>, <c>resolve()</c>, <c>extension('url')</c>,
/// <c>ofType(T)</c>/<c>as(T)</c>. <c>resolve()</c> follows contained references (<c>#id</c>) and, in a Bundle,
/// references to an entry's fullUrl; any other reference cannot be resolved and gives <see cref="SliceMatch.Unknown"/>.
/// </summary>
public static class Slicing
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<string>> StepsOf = new(StringComparer.Ordinal);

    public static SliceMatch Matches(Base item, ElementNode slice, ElementDefinition.SlicingComponent slicing, SliceContext context)
    {
        if (slicing.Discriminator.Count == 0) return SliceMatch.No;
        var result = SliceMatch.Yes;
        foreach (var d in slicing.Discriminator)
        {
            var steps = StepsOf.GetOrAdd(d.Path ?? "", Steps);
            var matched = d.Type switch
            {
                Discriminator.Value or Discriminator.Pattern => ValueMatches(item, slice, steps, context),
                Discriminator.Type => TypeMatches(item, slice, steps, context),
                Discriminator.Exists => ExistsMatches(item, slice, steps, context),
                Discriminator.Profile => ProfileMatches(item, slice, steps, context),
                _ => SliceMatch.No,
            };
            if (matched == SliceMatch.No) return SliceMatch.No;
            if (matched == SliceMatch.Unknown) result = SliceMatch.Unknown;
        }
        return result;
    }

    private static SliceMatch ValueMatches(Base item, ElementNode slice, IReadOnlyList<string> steps, SliceContext context)
    {
        var (expected, exact) = Expected(slice, steps, context.Definitions);
        if (expected is null) return SliceMatch.No;
        var (values, unresolved) = Walk(item, steps, context.Root);
        if (values.Any(v => SameValue(v, expected, exact))) return SliceMatch.Yes;
        return unresolved ? SliceMatch.Unknown : SliceMatch.No;
    }

    /// <summary>The value a slice fixes at the discriminator path: its own fixed/pattern, a child's, or its extension profile's url.</summary>
    private static (DataType? Value, bool Exact) Expected(ElementNode slice, IReadOnlyList<string> steps, Definitions definitions)
    {
        // A step may land on an element that is itself sliced (bp: code.coding:SBPCode.code): look in its slices too.
        foreach (var at in At(slice, steps, definitions))
        {
            if (at.Definition.Fixed is { } f) return (f, true);
            if (at.Definition.Pattern is { } p) return (p, false);
        }
        if (steps is ["url"] && ExtensionProfile(slice) is { } profile)
            return (new FhirUri(profile), true);
        return (null, false);
    }

    private static string? ExtensionProfile(ElementNode node) =>
        node.Definition.Type.FirstOrDefault(t => t.Code == "Extension")?.Profile.FirstOrDefault()?.Split('|')[0];

    private static SliceMatch ExistsMatches(Base item, ElementNode slice, IReadOnlyList<string> steps, SliceContext context)
    {
        var at = At(slice, steps, context.Definitions).FirstOrDefault()?.Definition;
        if (at is null) return SliceMatch.No;
        var (values, unresolved) = Walk(item, steps, context.Root);
        if (unresolved && values.Count == 0) return SliceMatch.Unknown;
        if (at.Min >= 1) return values.Count > 0 ? SliceMatch.Yes : SliceMatch.No;
        if (at.Max == "0") return values.Count == 0 ? SliceMatch.Yes : SliceMatch.No;
        return SliceMatch.No; // the profile is wrong: an exists discriminator needs min ≥ 1 or max = 0 in each slice
    }

    private static SliceMatch TypeMatches(Base item, ElementNode slice, IReadOnlyList<string> steps, SliceContext context)
    {
        if (steps.Count > 0 && steps[^1] == "resolve()")
        {
            // The type a reference points at is told by the reference itself (references.html); no resolution needed.
            var before = steps.Take(steps.Count - 1).ToList();
            var allowed = At(slice, before, context.Definitions).SelectMany(n => n.Definition.Type).SelectMany(t => t.TargetProfile)
                .Select(p => context.Definitions.TypeOf(p)).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var targets = Walk(item, before, context.Root).Values.OfType<ResourceReference>().Select(r => References.TargetType(r, context.Root)).ToList();
            if (targets.Any(t => t is not null && allowed.Contains(t))) return SliceMatch.Yes;
            return targets.Any(t => t is null) ? SliceMatch.Unknown : SliceMatch.No;
        }
        var at = At(slice, steps, context.Definitions).FirstOrDefault();
        if (at is null) return SliceMatch.No;
        var types = at.Definition.Type.Select(t => t.Code).ToHashSet(StringComparer.Ordinal);
        var (values, unresolved) = Walk(item, steps, context.Root);
        if (values.Any(v => types.Contains(v.TypeName))) return SliceMatch.Yes;
        return unresolved ? SliceMatch.Unknown : SliceMatch.No;
    }

    private static SliceMatch ProfileMatches(Base item, ElementNode slice, IReadOnlyList<string> steps, SliceContext context)
    {
        var resolves = steps.Count > 0 && steps[^1] == "resolve()";
        var definitionSteps = resolves ? steps.Take(steps.Count - 1).ToList() : steps;
        var profiles = At(slice, definitionSteps, context.Definitions).SelectMany(n => n.Definition.Type)
            .SelectMany(t => resolves ? t.TargetProfile : t.Profile).Where(p => p is not null).Distinct().ToList();
        if (profiles.Count == 0) return SliceMatch.No;
        var (values, unresolved) = Walk(item, steps, context.Root);
        if (values.Any(v => profiles.Any(p => context.Conforms(v, p)))) return SliceMatch.Yes;
        return unresolved ? SliceMatch.Unknown : SliceMatch.No;
    }

    /// <summary>The element definitions a discriminator path reaches from a slice (following sliced children into their slices).</summary>
    private static List<ElementNode> At(ElementNode slice, IReadOnlyList<string> steps, Definitions definitions)
    {
        List<ElementNode> current = [slice];
        foreach (var step in steps)
        {
            if (step == "$this" || step.StartsWith("ofType(", StringComparison.Ordinal) || step.StartsWith("as(", StringComparison.Ordinal)) continue;
            if (step == "resolve()")
            {
                current = current.SelectMany(n => n.Definition.Type).SelectMany(t => t.TargetProfile)
                    .Select(p => definitions.Tree(p)?.Root).OfType<ElementNode>().ToList();
                continue;
            }
            if (ExtensionUrl(step) is { } url)
            {
                current = current.Select(n => n.Group("extension")).OfType<ElementGroup>()
                    .SelectMany(g => g.Slices.Where(s => ExtensionProfile(s) == url)).ToList();
                continue;
            }
            current = current.Select(n => n.Group(step)).OfType<ElementGroup>().SelectMany(g => g.Slices.Prepend(g.Element)).ToList();
        }
        return current;
    }

    /// <summary>The values at a discriminator path below <paramref name="item"/>; Unresolved when a <c>resolve()</c> could not be followed.</summary>
    private static (List<Base> Values, bool Unresolved) Walk(Base item, IReadOnlyList<string> steps, Resource root)
    {
        List<Base> current = [item];
        var unresolved = false;
        foreach (var step in steps)
        {
            if (step == "$this") continue;
            if (step == "resolve()")
            {
                var resolved = new List<Base>();
                foreach (var reference in current.OfType<ResourceReference>())
                    if (Resolve(reference, root) is { } target) resolved.Add(target);
                    else unresolved = true;
                current = resolved;
                continue;
            }
            if (TypeFilter(step) is { } type)
            {
                current = current.Where(c => c.TypeName == type).ToList();
                continue;
            }
            var url = ExtensionUrl(step);
            var name = url is null ? step : "extension";
            current = current.SelectMany(c => c.EnumerateElements().Where(e => e.Key == name).SelectMany(e => Items(e.Value)))
                .Where(v => url is null || (v is Extension e && e.Url == url)).ToList();
        }
        return (current, unresolved);
    }

    /// <summary>A contained resource (<c>#id</c>), or in a Bundle the entry whose fullUrl (or Type/id) the reference names.</summary>
    private static Resource? Resolve(ResourceReference reference, Resource root)
    {
        var text = reference.Reference;
        if (string.IsNullOrEmpty(text)) return null;
        if (text.StartsWith('#'))
            return root is DomainResource d ? d.Contained.FirstOrDefault(c => c.Id == text[1..]) : null;
        if (root is Bundle bundle)
            return bundle.Entry.FirstOrDefault(e => e.FullUrl == text
                || (e.Resource is { Id: { } id } r && (text == $"{r.TypeName}/{id}" || e.FullUrl?.EndsWith("/" + text, StringComparison.Ordinal) == true)))?.Resource;
        return null;
    }

    private static string? ExtensionUrl(string step) =>
        step.StartsWith("extension('", StringComparison.Ordinal) && step.EndsWith("')", StringComparison.Ordinal) ? step[11..^2] : null;

    private static string? TypeFilter(string step) =>
        step.StartsWith("ofType(", StringComparison.Ordinal) ? step[7..^1]
        : step.StartsWith("as(", StringComparison.Ordinal) ? step[3..^1] : null;

    /// <summary>Splits a discriminator path at the dots outside parentheses and quotes (an extension url has dots).</summary>
    private static List<string> Steps(string? path)
    {
        var steps = new List<string>();
        if (string.IsNullOrEmpty(path)) return steps;
        int depth = 0, start = 0;
        var quoted = false;
        for (int i = 0; i < path.Length; i++)
        {
            switch (path[i])
            {
                case '\'': quoted = !quoted; break;
                case '(' when !quoted: depth++; break;
                case ')' when !quoted: depth--; break;
                case '.' when !quoted && depth == 0:
                    steps.Add(path[start..i]);
                    start = i + 1;
                    break;
            }
        }
        steps.Add(path[start..]);
        return steps;
    }

    /// <summary>Fixed: the same value (primitives by value; ids and extensions aside). Pattern: every part the pattern gives.</summary>
    public static bool SameValue(Base value, DataType expected, bool exact)
    {
        if (value is PrimitiveType p && expected is PrimitiveType e)
            return string.Equals(p.ToString(), e.ToString(), StringComparison.Ordinal);
        return exact ? value.IsExactly(expected) : PatternMatches(value, expected);
    }

    /// <summary>
    /// elementdefinition-definitions.html#ElementDefinition.pattern_x_: every value in the pattern is in the instance;
    /// each repeat in the pattern matches some repeat in the instance, in any order (the SDK's Matches compares
    /// repeats position by position).
    /// </summary>
    private static bool PatternMatches(Base value, Base pattern)
    {
        if (pattern is PrimitiveType pp && pp.ObjectValue is not null
            && (value is not PrimitiveType vp || !string.Equals(vp.ToString(), pp.ToString(), StringComparison.Ordinal)))
            return false;
        var present = value.EnumerateElements().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        foreach (var (name, wanted) in pattern.EnumerateElements())
        {
            if (!present.TryGetValue(name, out var have)) return false;
            var candidates = Items(have);
            foreach (var w in Items(wanted))
                if (!candidates.Any(c => PatternMatches(c, w))) return false;
        }
        return true;
    }

    private static List<Base> Items(object value) => value is Base b ? [b] : ((System.Collections.IEnumerable)value).OfType<Base>().ToList();

    public static string Show(DataType value) => value is PrimitiveType p
        ? $"'{p}'"
        : System.Text.Encoding.UTF8.GetString(FhirCare.FhirFacade.Rest.FhirJson.ToBytes(value));
}
