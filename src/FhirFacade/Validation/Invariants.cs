using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCare.FhirFacade.Validation;

/// <summary>
/// Evaluates <c>ElementDefinition.constraint</c> expressions (core invariants and ours) on an element: compiled once per
/// expression text and cached. The two invariants every element and extension carries (ele-1, ext-1) are checked
/// natively; they are half of all evaluations and their meaning is fixed by the spec.
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
