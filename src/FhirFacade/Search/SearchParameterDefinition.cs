using Hl7.Fhir.Model;
using Hl7.FhirPath;

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
    public CompiledExpression? Compiled { get; init; }

    /// <summary>The key index rows are stored under: unique across resource types.</summary>
    public string IndexKey => field ??= ResourceType + "." + Code;

    public IndexKind? IndexKind => Type switch
    {
        SearchParamType.String => Search.IndexKind.String,
        SearchParamType.Token => Search.IndexKind.Token,
        SearchParamType.Reference => Search.IndexKind.Reference,
        SearchParamType.Date => Search.IndexKind.Date,
        SearchParamType.Number or SearchParamType.Quantity => Search.IndexKind.Number,
        SearchParamType.Uri => Search.IndexKind.Uri,
        _ => null,
    };
}
