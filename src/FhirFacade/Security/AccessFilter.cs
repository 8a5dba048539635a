using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using Hl7.Fhir.Model;
using TypeLevel = Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction;
using SystemLevel = Hl7.Fhir.Model.CapabilityStatement.SystemRestfulInteraction;

namespace FhirCare.FhirFacade.Security;

/// <summary>
/// The scope check of every FHIR endpoint, from what its metadata says it is (<see cref="FhirInteraction"/>,
/// <see cref="FhirOperation"/>) and its {type} route value: no per-route code. An endpoint with neither (and not
/// anonymous, like /metadata) is refused, so a new route cannot be left open by mistake. What data the interaction
/// then sees is narrowed inside it by <see cref="AccessPolicy"/>.
/// </summary>
public sealed class AccessFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var metadata = http.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null)
            Demand(AccessPolicy.Of(http), metadata, http.Request.RouteValues["type"] as string);
        return await next(context);
    }

    public static void Demand(AccessPolicy policy, EndpointMetadataCollection? metadata, string? type)
    {
        if (!policy.Enforced) return;
        if (metadata?.GetMetadata<FhirInteraction>() is { } interaction) Demand(policy, interaction, type);
        else if (metadata?.GetMetadata<FhirOperation>() is { } operation) Demand(policy, operation, type);
        else throw FhirException.Of(403, OperationOutcome.IssueType.Forbidden, "This endpoint is not open to access tokens");
    }

    public static void Demand(AccessPolicy policy, FhirInteraction interaction, string? type)
    {
        if (interaction.TypeLevel is { } level)
        {
            if (type is null || !ResourceTypes.Served.Contains(type)) return; // the handler answers the bad type
            policy.Demand(type, level switch
            {
                TypeLevel.Read or TypeLevel.Vread or TypeLevel.HistoryInstance => Permissions.Read,
                TypeLevel.SearchType or TypeLevel.HistoryType => Permissions.Search,
                TypeLevel.Create => Permissions.Create,
                TypeLevel.Update or TypeLevel.Patch => Permissions.Update,
                TypeLevel.Delete => Permissions.Delete,
                _ => Permissions.All,
            });
        }
        else
        {
            policy.DemandAny(interaction.SystemLevel switch
            {
                SystemLevel.SearchSystem or SystemLevel.HistorySystem => Permissions.Search | Permissions.Read,
                _ => Permissions.All, // batch/transaction: each entry is checked as it runs
            });
        }
    }

    /// <summary>
    /// An operation on a type needs read on it ($validate: any permission on it); a system-level one needs read or search
    /// on some type. What the operation returns is narrowed by the policy inside it.
    /// </summary>
    public static void Demand(AccessPolicy policy, FhirOperation operation, string? type)
    {
        var on = operation.Types.Contains("*") ? type : operation.Types.FirstOrDefault();
        if (on is null) policy.DemandAny(Permissions.Read | Permissions.Search);
        else if (!ResourceTypes.Served.Contains(on)) return;
        else if (operation.Name == "validate")
        {
            if (policy.On(on) == Permissions.None) policy.Demand(on, Permissions.Read);
        }
        else policy.Demand(on, Permissions.Read);
    }
}
