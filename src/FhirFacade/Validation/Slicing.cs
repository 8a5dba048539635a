using Hl7.Fhir.Model;
using Discriminator = Hl7.Fhir.Model.ElementDefinition.DiscriminatorType;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// Which slice an instance element belongs to (profiling.html#discriminator): value and pattern discriminators
/// compare the element at the discriminator path with the slice's fixed or pattern value there (for extensions, the
/// url is also taken from the slice's extension profile); type discriminators compare the instance type. Profile
/// and exists discriminators are not evaluated (such items fall to the unsliced element).
/// </summary>
public static class Slicing
{
    public static bool Matches(Base item, ElementNode slice, ElementDefinition.SlicingComponent slicing, Definitions definitions)
    {
        if (slicing.Discriminator.Count == 0) return false;
        foreach (var d in slicing.Discriminator)
        {
            var matched = d.Type switch
            {
                Discriminator.Value or Discriminator.Pattern => ValueMatches(item, slice, d.Path, definitions),
                Discriminator.Type => TypeMatches(item, slice, d.Path),
                _ => false,
            };
            if (!matched) return false;
        }
        return true;
    }

    private static bool ValueMatches(Base item, ElementNode slice, string path, Definitions definitions)
    {
        var (expected, exact) = Expected(slice, path, definitions);
        if (expected is null) return false;
        return Walk(item, path).Any(v => SameValue(v, expected, exact));
    }

    /// <summary>The value a slice fixes at the discriminator path: its own fixed/pattern, a child's, or its extension profile's url.</summary>
    private static (DataType? Value, bool Exact) Expected(ElementNode slice, string path, Definitions definitions)
    {
        // A step may land on an element that is itself sliced (bp: code.coding:SBPCode.code): look in its slices too.
        foreach (var at in At(slice, path))
        {
            if (at.Definition.Fixed is { } f) return (f, true);
            if (at.Definition.Pattern is { } p) return (p, false);
        }
        if (path == "url" && slice.Definition.Type.FirstOrDefault(t => t.Code == "Extension")?.Profile.FirstOrDefault() is { } profile)
            return (new FhirUri(profile.Split('|')[0]), true);
        return (null, false);
    }

    private static IEnumerable<ElementNode> At(ElementNode slice, string path)
    {
        IEnumerable<ElementNode> current = [slice];
        if (path == "$this") return current;
        foreach (var step in path.Split('.'))
            current = current.Select(n => n.Group(step)).OfType<ElementGroup>().SelectMany(g => g.Slices.Prepend(g.Element)).ToList();
        return current;
    }

    private static bool TypeMatches(Base item, ElementNode slice, string path)
    {
        var at = At(slice, path).FirstOrDefault();
        if (at is null) return false;
        var types = at.Definition.Type.Select(t => t.Code).ToHashSet(StringComparer.Ordinal);
        return Walk(item, path).Any(v => types.Contains(v.TypeName));
    }

    /// <summary>The values at a dotted path below <paramref name="item"/> ("$this" is the item itself).</summary>
    private static IEnumerable<Base> Walk(Base item, string path)
    {
        IEnumerable<Base> current = [item];
        if (path == "$this") return current;
        foreach (var step in path.Split('.'))
            current = current.SelectMany(c => c.EnumerateElements().Where(e => e.Key == step)
                .SelectMany(e => e.Value is Base b ? [b] : ((System.Collections.IEnumerable)e.Value).OfType<Base>())).ToList();
        return current;
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
