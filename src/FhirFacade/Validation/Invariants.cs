using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// Evaluates <c>ElementDefinition.constraint</c> expressions (core invariants and ours) on an element: compiled once per
/// expression text and cached. The two invariants every element and extension carries (ele-1, ext-1) are checked
/// natively; they are half of all evaluations and their meaning is fixed by the spec. So are the next most frequent
/// core invariants (ref-1, dom-2..6, qty-3, sqty-1, cpt-2, per-1, obs-6: over the official examples, three in four of
/// the remaining evaluations), matched by their exact expression text, not their key, so a profile that reuses a key
/// for another rule still gets its own expression; where the answer needs more than a glance (a contained resource,
/// a reference to one, a period with both ends) they fall back to the compiled expression.
/// </summary>
public sealed class Invariants
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());
    private readonly ConcurrentDictionary<string, CompiledExpression?> _compiled = new(StringComparer.Ordinal);

    /// <summary>True when the constraint holds; null when it cannot be evaluated here (reported as information).</summary>
    public bool? Holds(ElementDefinition.ConstraintComponent constraint, Base value, Func<PocoNode> node)
    {
        switch (constraint.Key)
        {
            case "ele-1": return HasValueOrChildren(value);
            case "ext-1" when value is Extension e: return e.Extension.Count > 0 != (e.Value is not null);
        }
        if (Native.TryGetValue(constraint.Expression, out var native) && native(value) is { } known) return known;
        var compiled = _compiled.GetOrAdd(constraint.Expression, Compile);
        if (compiled is null) return null;
        try
        {
            return compiled.Predicate(node(), new FhirEvaluationContext());
        }
        catch (Exception)
        {
            // The engine could not run this expression on this data (an unsupported function, memberOf without a
            // terminology service, a type error): reported as information rather than failing the write.
            return null;
        }
    }

    private const string Dom3 = "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()";

    /// <summary>Core invariants by expression text: true/false when the element alone answers it, null to run the expression.</summary>
    private static readonly Dictionary<string, Func<Base, bool?>> Native = new(StringComparer.Ordinal)
    {
        // ref-1: only a local reference (#id) needs the container's contained ids.
        ["reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))"] =
            v => v is ResourceReference r && (r.Reference is null || !r.Reference.StartsWith('#')) ? true : null,
        // dom-2..5: rules about contained resources hold when there are none.
        ["contained.contained.empty()"] = NoContained,
        ["contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"] = NoContained,
        ["contained.meta.security.empty()"] = NoContained,
        [Dom3] = v => v is DomainResource d ? ContainedAreReferenced(d) : null,
        ["text.`div`.exists()"] = v => v is DomainResource d ? d.Text?.Div is not null : null, // dom-6
        ["code.empty() or system.exists()"] = v => v is Quantity q ? q.CodeElement is null || q.SystemElement is not null : null, // qty-3
        ["comparator.empty()"] = v => v is Quantity q ? q.ComparatorElement is null : null, // sqty-1
        ["value.empty() or system.exists()"] = v => v is ContactPoint c ? c.ValueElement is null || c.SystemElement is not null : null, // cpt-2
        // per-1: the comparison of two partial dates is the engine's; one end missing needs none.
        ["start.hasValue().not() or end.hasValue().not() or (start <= end)"] =
            v => v is Period p && (p.StartElement?.Value is null || p.EndElement?.Value is null) ? true : null,
        ["dataAbsentReason.empty() or value.empty()"] = v => v is Observation o ? o.DataAbsentReason is null || o.Value is null : null, // obs-6
    };

    private static bool? NoContained(Base value) => value is DomainResource { Contained.Count: 0 } ? true : null;

    /// <summary>
    /// dom-3 without the engine (its expression walks every descendant once per contained resource): each contained
    /// resource is named as "#id" by a reference, canonical, uri or url anywhere in the resource, or itself refers to
    /// its container ("#").
    /// </summary>
    private static bool ContainedAreReferenced(DomainResource resource)
    {
        if (resource.Contained.Count == 0) return true;
        var named = new HashSet<string>(StringComparer.Ordinal);
        Collect(resource, named);
        foreach (var contained in resource.Contained)
        {
            if (contained.Id is { } id && named.Contains("#" + id)) continue;
            var inner = new HashSet<string>(StringComparer.Ordinal);
            Collect(contained, inner);
            if (!inner.Contains("#")) return false;
        }
        return true;
    }

    /// <summary>Every Reference.reference and canonical/uri/url value below <paramref name="value"/>.</summary>
    private static void Collect(Base value, HashSet<string> into)
    {
        foreach (var (_, element) in value.EnumerateElements())
        {
            foreach (var child in element is Base single ? [single] : ((System.Collections.IEnumerable)element).OfType<Base>())
            {
                switch (child)
                {
                    case ResourceReference { Reference: { } reference }: into.Add(reference); break;
                    case PrimitiveType { TypeName: "uri" or "canonical" or "url" } p when p.ToString() is { } text: into.Add(text); break;
                }
                Collect(child, into);
            }
        }
    }

    private static CompiledExpression? Compile(string expression)
    {
        try { return Compiler.Compile(expression); }
        catch (Exception) { return null; }
    }

    /// <summary>ele-1: <c>hasValue() or (children().count() > id.count())</c>.</summary>
    private static bool HasValueOrChildren(Base value)
    {
        if (value is PrimitiveType { ObjectValue: not null }) return true;
        foreach (var child in value.EnumerateElements())
            if (child.Key != "id") return true;
        return false;
    }
}
