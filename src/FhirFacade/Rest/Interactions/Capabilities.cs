using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>Marks an endpoint as a FHIR interaction, so the CapabilityStatement is derived from what is really mapped.</summary>
public sealed record FhirInteraction(CapabilityStatement.TypeRestfulInteraction? TypeLevel = null, CapabilityStatement.SystemRestfulInteraction? SystemLevel = null);

/// <summary>
/// Marks an endpoint as a FHIR operation ($name, defined by the OperationDefinition at <paramref name="Definition"/>),
/// listed in the CapabilityStatement: at system level when <paramref name="Types"/> is empty, otherwise on each named
/// resource type ("*" for every served type).
/// </summary>
public sealed record FhirOperation(string Name, string Definition, params string[] Types);

/// <summary>capabilities: GET /metadata (http.html#capabilities). Built once from the endpoint table and the search registry.</summary>
public sealed class Capabilities(EndpointDataSource endpoints, SearchParameterRegistry registry, Compartments compartments, IHostEnvironment environment,
    ConformanceResources conformance, IConfiguration configuration)
{
    /// <summary>What clients may not do to a read-only type (ResourceTypes.ReadOnly).</summary>
    private static readonly CapabilityStatement.TypeRestfulInteraction[] Writes =
    [
        CapabilityStatement.TypeRestfulInteraction.Create, CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Patch, CapabilityStatement.TypeRestfulInteraction.Delete,
    ];

    private readonly Lazy<CapabilityStatement> _statement = new(() => Build(endpoints, registry, compartments, environment, conformance, StoreNote(configuration)));

    /// <summary>What the configured store does not do that the rest of the statement would otherwise suggest.</summary>
    private static string StoreNote(IConfiguration configuration) => configuration["Storage:Provider"] == "Cosmos"
        ? " Store: Azure Cosmos DB. _sort is supported on _id or _lastUpdated only (one key; other keys are refused with 400), _offset is refused (400), and a transaction must stay within one member's record (otherwise 422)."
        : " Store: SQLite. _sort is supported on every string, token, date, number, quantity and uri parameter, several keys, ascending or descending.";

    public static Task HandleAsync(HttpContext context, Capabilities capabilities) =>
        FhirResponses.WriteResourceAsync(context, (CapabilityStatement)capabilities._statement.Value.DeepCopy(), 200, ResponseShape.From(context.Request));

    public CapabilityStatement Statement => _statement.Value;

    /// <summary>What each parameter type accepts here (R4 has no structured element for modifiers).</summary>
    private static string Modifiers(SearchParamType type) => "Modifiers: :missing" + type switch
    {
        SearchParamType.String => ", :exact, :contains",
        SearchParamType.Token => ", :not, :text, :of-type (Identifier), :in and :not-in (ValueSets stored on this server)",
        SearchParamType.Reference => ", :[type], :identifier; chaining and _has",
        SearchParamType.Uri => ", :below, :above",
        SearchParamType.Date or SearchParamType.Number or SearchParamType.Quantity => "; prefixes eq ne gt lt ge le sa eb ap",
        _ => "",
    };

    private static CapabilityStatement Build(EndpointDataSource endpoints, SearchParameterRegistry registry, Compartments compartments, IHostEnvironment environment,
        ConformanceResources conformance, string storeNote)
    {
        var profiles = conformance.Own.OfType<StructureDefinition>()
            .Where(sd => sd.Kind == StructureDefinition.StructureDefinitionKind.Resource && sd.Derivation == StructureDefinition.TypeDerivationRule.Constraint)
            .ToLookup(sd => sd.Type, sd => sd.Url);
        var mapped = endpoints.Endpoints.SelectMany(e => e.Metadata.GetOrderedMetadata<FhirInteraction>()).ToList();
        var typeLevel = mapped.Select(m => m.TypeLevel).OfType<CapabilityStatement.TypeRestfulInteraction>().Distinct().OrderBy(i => i).ToList();
        var systemLevel = mapped.Select(m => m.SystemLevel).OfType<CapabilityStatement.SystemRestfulInteraction>().Distinct().OrderBy(i => i).ToList();
        var operations = endpoints.Endpoints.SelectMany(e => e.Metadata.GetOrderedMetadata<FhirOperation>()).Distinct().ToList();
        List<CapabilityStatement.OperationComponent> OperationsOn(string? type) => operations
            .Where(o => type is null ? o.Types.Length == 0 : o.Types.Contains(type) || o.Types.Contains("*"))
            .DistinctBy(o => o.Name).OrderBy(o => o.Name, StringComparer.Ordinal)
            .Select(o => new CapabilityStatement.OperationComponent { Name = o.Name, Definition = o.Definition }).ToList();
        var version = typeof(Capabilities).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = "FhirCare REST API. Resources are versioned; deletes keep history; conditional operations resolve criteria strictly." + storeNote,
            Interaction = systemLevel.Select(i => new CapabilityStatement.SystemInteractionComponent { Code = i }).ToList(),
            Compartment = compartments.Urls.ToList(),
            Operation = OperationsOn(null),
        };
        if (systemLevel.Contains(CapabilityStatement.SystemRestfulInteraction.SearchSystem))
            rest.SearchParam = registry.For("Resource").OrderBy(p => p.Code, StringComparer.Ordinal)
                .Select(p => new CapabilityStatement.SearchParamComponent { Name = p.Code, Definition = p.Url, Type = p.Type }).ToList();
        var referencesTo = ResourceTypes.Served
            .SelectMany(source => registry.For(source).Where(p => p.Type == SearchParamType.Reference)
                .SelectMany(p => p.Targets.Select(target => (Target: target, Include: $"{source}:{p.Code}"))))
            .ToLookup(x => x.Target, x => x.Include);
        foreach (var type in ResourceTypes.Served.Order(StringComparer.Ordinal))
        {
            var parameters = registry.For(type).OrderBy(p => p.Code, StringComparer.Ordinal).ToList();
            var interactions = ResourceTypes.ReadOnly.Contains(type) ? typeLevel.Where(i => !Writes.Contains(i)).ToList() : typeLevel;
            rest.Resource.Add(new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Profile = ModelInfo.CanonicalUriForFhirCoreType(type).Value,
                SupportedProfile = profiles[type].Order(StringComparer.Ordinal).ToList(),
                Interaction = interactions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i }).ToList(),
                Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
                ReadHistory = true,
                UpdateCreate = interactions.Contains(CapabilityStatement.TypeRestfulInteraction.Update),
                ConditionalCreate = interactions.Contains(CapabilityStatement.TypeRestfulInteraction.Create),
                ConditionalRead = CapabilityStatement.ConditionalReadStatus.NotSupported,
                ConditionalUpdate = interactions.Contains(CapabilityStatement.TypeRestfulInteraction.Update),
                ConditionalDelete = interactions.Contains(CapabilityStatement.TypeRestfulInteraction.Delete)
                    ? CapabilityStatement.ConditionalDeleteStatus.Single
                    : CapabilityStatement.ConditionalDeleteStatus.NotSupported,
                ReferencePolicy = [CapabilityStatement.ReferenceHandlingPolicy.Literal, CapabilityStatement.ReferenceHandlingPolicy.Logical],
                SearchInclude = parameters.Where(p => p.Type == SearchParamType.Reference).Select(p => $"{type}:{p.Code}").Prepend("*").ToList(),
                SearchRevInclude = referencesTo[type].Order(StringComparer.Ordinal).ToList(),
                SearchParam = parameters.Select(p => new CapabilityStatement.SearchParamComponent
                {
                    Name = p.Code,
                    Definition = p.Url,
                    Type = p.Type,
                    Documentation = Modifiers(p.Type),
                }).ToList(),
                Operation = OperationsOn(type),
            });
        }

        return new CapabilityStatement
        {
            Id = "fhircare",
            Url = "https://fhircare.org/fhir/CapabilityStatement/fhircare",
            Name = "FhirCare",
            Title = "FhirCare FHIR R4 server",
            Status = PublicationStatus.Active,
            Experimental = environment.IsDevelopment(),
            Date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"),
            Publisher = "FhirCare",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "FhirCare", Version = version },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "FhirCare care-coordination FHIR server" },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml", "json", "xml"],
            PatchFormat = ["application/json-patch+json", "application/fhir+json", "application/fhir+xml"],
            Rest = [rest],
        };
    }
}
