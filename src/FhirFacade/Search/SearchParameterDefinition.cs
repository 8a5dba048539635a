using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Hl7.Fhir.FhirPath;

namespace FhirCare.FhirFacade.Search;

/// <summary>One search parameter as it applies to one resource type, with its FHIRPath expression compiled once.</summary>
public sealed class SearchParameterDefinition
{
    public required string ResourceType { get; init; }
    public required string Code { get; init; }
    public required string Url { get; init; }
    public required SearchParamType Type { get; init; }
    /// <summary>The expression restricted to this resource type; empty for parameters the store answers itself (_id, _lastUpdated).</summary>
    public required string Expression { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = [];
    /// <summary>
    /// The expression compiled for the FHIRPath engine, on first use: most parameters run on <see cref="Paths"/>
    /// and never need it, and compiling all ~1,500 up front slowed start-up by seconds. Null for _id/_lastUpdated.
    /// </summary>
    public CompiledExpression? Compiled => Expression.Length == 0 ? null : (field ??= FhirPath.Compiler.Compile(Expression));

    /// <summary>The same expression as plain POCO paths when it has that shape (most do): much faster than FHIRPath.</summary>
    public IReadOnlyList<PathExpression>? Paths { get; init; }

    /// <summary>For composite parameters: the components, evaluated relative to each node the expression selects.</summary>
    public IReadOnlyList<CompositeComponent> Components { get; init; } = [];

    /// <summary>
    /// The key index rows are stored under: unique across resource types. Resource-level parameters (_tag, _profile…)
    /// share one key for every type ("Resource._tag"), so a system-level search can use them without a type.
    /// </summary>
    public string IndexKey => field ??= (Code.StartsWith('_') ? "Resource" : ResourceType) + "." + Code;

    public IndexKind? IndexKind => Type switch
    {
        SearchParamType.String => Search.IndexKind.String,
        SearchParamType.Token => Search.IndexKind.Token,
        SearchParamType.Reference => Search.IndexKind.Reference,
        SearchParamType.Date => Search.IndexKind.Date,
        SearchParamType.Number or SearchParamType.Quantity => Search.IndexKind.Number,
        SearchParamType.Uri => Search.IndexKind.Uri,
        SearchParamType.Composite => Search.IndexKind.Composite,
        _ => null,
    };
}

/// <summary>
/// One component of a composite parameter. Supported composites pair a token with a token, quantity, date or string
/// (all the clinical composites of R4, e.g. Observation code-value-quantity).
/// </summary>
public sealed record CompositeComponent(SearchParamType Type, string Expression)
{
    public CompiledExpression Compiled => field ??= FhirPath.Compiler.Compile(Expression);

    /// <summary>The component as POCO paths relative to the composite's node, when it has that shape.</summary>
    public IReadOnlyList<PathExpression>? Paths { get; } = PathExpression.TryCompileUnion(Expression, null);

    public static bool IsSupported(IReadOnlyList<CompositeComponent> components) =>
        components.Count == 2 && components[0].Type == SearchParamType.Token
        && components[1].Type is SearchParamType.Token or SearchParamType.Quantity or SearchParamType.Date or SearchParamType.String;
}

/// <summary>The one FHIRPath compiler, with the FHIR-specific functions (resolve, extension, memberOf…).</summary>
internal static class FhirPath
{
    public static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());
}
