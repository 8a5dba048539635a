using System.Collections;
using System.Text.RegularExpressions;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Generation;

/// <summary>
/// For a search parameter no official example has a value for: walks one plain path of its FHIRPath expression
/// (Type.a.b, with as(X)/ofType(X), where(resolve() is X) and where(field = 'value')) through the POCO model of a
/// kit fixture, creating what is missing (with its mandatory children), and puts a value of the parameter's type at
/// the end. The caller then evaluates the real expression on the result, so a planting that does not land is caught.
/// </summary>
public static partial class SearchPlanting
{
    private const string Kit = "https://fhircare.org/fhir/conformance-kit";

    /// <summary>A composite: both components planted under the same element of one term of the base expression.</summary>
    public static bool TryPlantComposite(Resource resource, SearchDefinition definition, bool mayReplace)
    {
        if (definition.Components.Count != 2 || definition.Components.Any(c => c.Expression == "$this")) return false;
        foreach (var term in Terms(definition.Expression))
        {
            var copy = (Resource)resource.DeepCopy();
            if (!TryPlant(copy, definition.Components[0].Type, $"{term}.{definition.Components[0].Expression}", [], mayReplace)) continue;
            if (!TryPlant(copy, definition.Components[1].Type, $"{term}.{definition.Components[1].Expression}", [], mayReplace)) continue;
            copy.CopyTo(resource);
            return true;
        }
        return false;
    }

    /// <param name="mayReplace">
    /// Whether a value already there that does not serve (a display-only Reference, another choice type) may be replaced:
    /// only in a fixture no earlier parameter relies on.
    /// </param>
    public static bool TryPlant(Resource resource, SearchParamType paramType, string expression, IReadOnlyList<string> targets, bool mayReplace)
    {
        foreach (var term in Terms(expression))
        {
            if (Steps(term, resource.TypeName) is not { } steps) continue;
            var copy = (Resource)resource.DeepCopy();
            if (!Walk(copy, steps, paramType, targets.FirstOrDefault(), mayReplace)) continue;
            copy.CopyTo(resource);
            return true;
        }
        return false;
    }

    /// <summary>The terms of a union, outer parentheses and " as X" written as .as(X).</summary>
    private static IEnumerable<string> Terms(string expression)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= expression.Length; i++)
        {
            if (i == expression.Length || (expression[i] == '|' && depth == 0))
            {
                var term = expression[start..i].Trim();
                while (term.StartsWith('(') && term.EndsWith(')')) term = term[1..^1].Trim();
                yield return AsSuffix().Replace(term, ".as($1)");
                start = i + 1;
            }
            else if (expression[i] == '(') depth++;
            else if (expression[i] == ')') depth--;
        }
    }

    private sealed record Step(string Name, string? As, string? ResolveIs, (string Field, string Value)? Where);

    private static List<Step>? Steps(string term, string type)
    {
        var parts = Split(term);
        if (parts[0] == type) parts.RemoveAt(0);
        else if (!Identifier().IsMatch(parts[0])) return null; // a path relative to the resource (meta.profile)
        if (parts.Count == 0) return null;
        var steps = new List<Step>();
        foreach (var part in parts)
        {
            Match m;
            if (Identifier().IsMatch(part)) steps.Add(new Step(part, null, null, null));
            else if (steps.Count > 0 && (m = TypeFilter().Match(part)).Success) steps[^1] = steps[^1] with { As = m.Groups[1].Value };
            else if (steps.Count > 0 && (m = ResolveIs().Match(part)).Success) steps[^1] = steps[^1] with { ResolveIs = m.Groups[1].Value };
            else if (steps.Count > 0 && (m = WhereEquals().Match(part)).Success) steps[^1] = steps[^1] with { Where = (m.Groups[1].Value, m.Groups[2].Value) };
            else if (part == "first()") continue;
            else return null;
        }
        return steps.Count > 0 ? steps : null;
    }

    private static List<string> Split(string term)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < term.Length; i++)
        {
            if (term[i] == '(') depth++;
            else if (term[i] == ')') depth--;
            else if (term[i] == '.' && depth == 0) { parts.Add(term[start..i]); start = i + 1; }
        }
        parts.Add(term[start..]);
        return parts;
    }

    private static bool Walk(Base current, List<Step> steps, SearchParamType paramType, string? target, bool mayReplace)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(current.GetType());
            var property = mapping?.FindMappedElementByName(step.Name);
            if (property?.NativeProperty is null) return false;
            var last = i == steps.Count - 1;
            var type = property.Choice == ChoiceType.DatatypeChoice
                ? step.As is { } choice ? ModelInfo.GetTypeForFhirType(choice) is { } chosen && property.FhirType.Contains(chosen) ? chosen : null
                  : last ? property.FhirType.FirstOrDefault(t => Leaf(t, paramType, null) is { } v && Serves(v, paramType)) // occurrence[x] for a date: dateTime
                  : null
                : step.As is { } narrowed ? ModelInfo.GetTypeForFhirType(narrowed)
                : property.ImplementingType.IsAbstract ? property.FhirType.FirstOrDefault(t => !t.IsAbstract) // Meta.profile maps to PrimitiveType
                : property.ImplementingType;
            if (type is null || type.IsAbstract || typeof(Resource).IsAssignableFrom(type)) return false;

            Base? next;
            if (property.IsCollection)
            {
                var list = (IList)property.NativeProperty.GetValue(current)!;
                next = list.OfType<Base>().FirstOrDefault(e => e.GetType() == type && Satisfies(e, step.Where) && (!last || Serves(e, paramType)));
                if (next is null)
                {
                    next = New(type, paramType, step, last, target ?? step.ResolveIs);
                    if (next is null) return false;
                    list.Add(next);
                }
            }
            else
            {
                next = property.NativeProperty.GetValue(current) as Base;
                if (next is not null && (next.GetType() != type || !Satisfies(next, step.Where) || (last && !Serves(next, paramType))))
                {
                    if (!mayReplace) return false;
                    next = null;
                }
                if (next is null)
                {
                    next = New(type, paramType, step, last, step.ResolveIs ?? target);
                    if (next is null) return false;
                    property.NativeProperty.SetValue(current, next);
                }
            }
            current = next;
        }
        return true;
    }

    private static bool Serves(Base e, SearchParamType paramType) => SearchProbe.For(paramType, e) is not null;

    private static bool Satisfies(Base element, (string Field, string Value)? where) =>
        where is not { } w || element.EnumerateElements().Any(e => e.Key == w.Field && e.Value is PrimitiveType p && p.ToString() == w.Value);

    private static Base? New(Type type, SearchParamType paramType, Step step, bool leaf, string? target)
    {
        var element = leaf ? Leaf(type, paramType, step.ResolveIs ?? target) : MinimalResources.Fill((Base)Activator.CreateInstance(type)!);
        if (element is null) return null;
        if (step.Where is { } where)
        {
            var property = ModelInfo.ModelInspector.FindOrImportClassMapping(type)?.FindMappedElementByName(where.Field);
            if (property?.NativeProperty is null || Activator.CreateInstance(property.ImplementingType) is not PrimitiveType value) return null;
            value.JsonValue = where.Value;
            property.NativeProperty.SetValue(element, value);
        }
        return element;
    }

    /// <summary>A value of the element's datatype that a search of the parameter's type can find.</summary>
    private static Base? Leaf(Type type, SearchParamType paramType, string? target)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Code<>))
            return (Base)Activator.CreateInstance(type, Enum.GetValues(type.GetGenericArguments()[0]).GetValue(0))!;
        return type.Name switch
        {
            nameof(FhirString) or nameof(Markdown) => paramType == SearchParamType.Token ? new FhirString("kit-code") : (Base)Activator.CreateInstance(type, "Kitvalue")!,
            nameof(Code) => new Code("kit-code"),
            nameof(Id) => new Id("kit-id"),
            nameof(FhirBoolean) => new FhirBoolean(true),
            nameof(Integer) or nameof(PositiveInt) or nameof(UnsignedInt) => (Base)Activator.CreateInstance(type, 7)!,
            nameof(FhirDecimal) => new FhirDecimal(7m),
            nameof(Date) => new Date("2021-03-04"),
            nameof(FhirDateTime) => new FhirDateTime("2021-03-04T05:06:07Z"),
            nameof(Instant) => new Instant(new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero)),
            nameof(Period) => new Period { Start = "2021-03-04", End = "2021-03-05" },
            nameof(Timing) => new Timing { EventElement = [new FhirDateTime("2021-03-04T05:06:07Z")] },
            nameof(FhirUri) or nameof(FhirUrl) => (Base)Activator.CreateInstance(type, $"{Kit}/{target ?? "value"}")!,
            // A canonical of no real artefact (meta.profile included): a server must not mistake it for one of its profiles.
            nameof(Canonical) => new Canonical($"http://example.org/fhir/{target ?? "StructureDefinition"}/conformance-kit"),
            nameof(Oid) => new Oid("urn:oid:2.16.840.1.113883.4.642.99.1"),
            nameof(Uuid) => new Uuid("urn:uuid:3f0b0a3e-2c5d-4b7e-9a51-0c8e2d7f6a42"),
            nameof(ResourceReference) => new ResourceReference($"{target ?? "Patient"}/kit-target"),
            nameof(CodeableConcept) => new CodeableConcept(Kit, "kit-code", "Kit code"),
            nameof(Coding) => new Coding(Kit, "kit-code", "Kit code"),
            nameof(Identifier) => new Identifier(Kit, "kit-identifier"),
            nameof(HumanName) => new HumanName { Family = "Kitfamily", Given = ["Kitgiven"], Text = "Kitgiven Kitfamily" },
            nameof(Address) => new Address { Line = ["1 Kit Street"], City = "Kitcity", District = "Kitdistrict", State = "KS", PostalCode = "12345", Country = "Kitland", Use = Address.AddressUse.Work },
            nameof(ContactPoint) => new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, "555-0100"),
            nameof(Quantity) or nameof(Age) or nameof(Duration) or nameof(Distance) => Quantity(type),
            nameof(Money) => new Money { Value = 7m, Currency = Money.Currencies.USD },
            nameof(Hl7.Fhir.Model.Range) => new Hl7.Fhir.Model.Range { Low = new Quantity(7m, "mg"), High = new Quantity(9m, "mg") },
            _ => null,
        };
    }

    private static Quantity Quantity(Type type)
    {
        var q = (Quantity)Activator.CreateInstance(type)!;
        q.Value = 7m;
        (q.System, q.Code, q.Unit) = type.Name switch
        {
            nameof(Age) => ("http://unitsofmeasure.org", "a", "years"),
            nameof(Duration) => ("http://unitsofmeasure.org", "min", "minutes"),
            nameof(Distance) => ("http://unitsofmeasure.org", "m", "metres"),
            _ => ("http://unitsofmeasure.org", "mg", "mg"),
        };
        return q;
    }

    [GeneratedRegex(@"\s+as\s+([A-Za-z]+)$")]
    private static partial Regex AsSuffix();
    [GeneratedRegex(@"^[a-z][A-Za-z0-9]*$")]
    private static partial Regex Identifier();
    [GeneratedRegex(@"^(?:as|ofType)\(([A-Za-z]+)\)$")]
    private static partial Regex TypeFilter();
    [GeneratedRegex(@"^where\(resolve\(\)\s+is\s+([A-Za-z]+)\)$")]
    private static partial Regex ResolveIs();
    [GeneratedRegex(@"^where\(([a-z][A-Za-z]*)\s*=\s*'([^']*)'\)$")]
    private static partial Regex WhereEquals();
}
