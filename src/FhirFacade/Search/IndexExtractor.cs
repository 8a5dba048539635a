using FhirCare.FhirFacade.Search.Parameters;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search;

/// <summary>Evaluates every registered search parameter of a resource's type once, when the resource is written.</summary>
public sealed class IndexExtractor(SearchParameterRegistry registry, SearchOptions options, ILogger<IndexExtractor> logger)
{
    public IReadOnlyList<IndexValue> Extract(Resource resource)
    {
        if (!options.IndexOnWrite) return [];
        var values = new List<IndexValue>(32);
        PocoNode? root = null;
        FhirEvaluationContext? context = null;
        var selected = new List<Base>();
        foreach (var p in registry.For(resource.TypeName))
        {
            if (p.Compiled is null) continue;
            if (p.Paths is { } paths)
            {
                selected.Clear();
                foreach (var path in paths) path.Evaluate(resource, selected);
                foreach (var value in selected)
                {
                    if (p.Type == SearchParamType.Composite) CompositeParameter.Extract(p, value, values);
                    else Add(p, value, values);
                }
                continue;
            }
            root ??= resource.ToPocoNode();
            context ??= new FhirEvaluationContext { ElementResolver = ResolveTypeOnly };
            try
            {
                foreach (var node in p.Compiled(root, context))
                {
                    if (p.Type == SearchParamType.Composite) CompositeParameter.Extract(p, node, context, values);
                    else Add(p, node.Poco, values);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidCastException or FormatException or ArgumentException)
            {
                logger.LogDebug(e, "Search parameter {Param} could not be evaluated on {Type}/{Id}", p.IndexKey, resource.TypeName, resource.Id);
            }
        }
        // Unions and repeated codes yield equal values; one index row each is enough.
        return values.Count < 2 ? values : values.Distinct().ToList();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, PocoNode?> EmptyInstances = new();

    /// <summary>
    /// resolve() for index extraction: many R4 expressions only ask what a reference points at
    /// (<c>subject.where(resolve() is Patient)</c>), so an empty instance of the referenced type answers without a store read.
    /// </summary>
    internal static PocoNode? ResolveTypeOnly(string reference)
    {
        if (ReferenceParameter.TypeOf(reference) is not { } type) return null;
        return EmptyInstances.GetOrAdd(type, t => ModelInfo.GetTypeForFhirType(t) is { } clr && Activator.CreateInstance(clr) is Resource r ? r.ToPocoNode() : null);
    }

    internal static void Add(SearchParameterDefinition p, Base value, List<IndexValue> into)
    {
        switch (p.Type)
        {
            case SearchParamType.String: StringParameter.Extract(p.IndexKey, value, into); break;
            case SearchParamType.Token: TokenParameter.Extract(p.IndexKey, value, into); break;
            case SearchParamType.Reference: ReferenceParameter.Extract(p.IndexKey, value, into); break;
            case SearchParamType.Date: DateParameter.Extract(p.IndexKey, value, into); break;
            case SearchParamType.Number or SearchParamType.Quantity: NumberParameter.Extract(p.IndexKey, value, into); break;
            case SearchParamType.Uri: UriParameter.Extract(p.IndexKey, value, into); break;
        }
    }
}
