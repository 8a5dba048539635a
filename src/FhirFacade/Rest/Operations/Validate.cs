using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Rest.Operations;

/// <summary>
/// $validate (resource-operation-validate): POST [type]/$validate and POST [type]/[id]/$validate. The body is a
/// Parameters resource (resource, mode, profile) or the bare resource; mode and profile may also come in the query.
/// Validation always covers the core definition and every profile the resource claims (plus <c>profile</c>), whatever
/// Validation:Mode says for writes. The answer is 200 with an OperationOutcome whenever validation ran — a resource
/// that does not even parse is reported the same way; 4xx means the request itself was wrong.
/// </summary>
public static partial class Validate
{
    public const string Definition = "http://hl7.org/fhir/OperationDefinition/Resource-validate";

    public static Task TypeAsync(HttpContext context, string type, ResourceBody body, ResourceValidator validator) =>
        RunAsync(context, type, null, body, validator, null);

    public static Task InstanceAsync(HttpContext context, string type, string id, ResourceBody body, ResourceValidator validator, IFhirStore store) =>
        RunAsync(context, type, id, body, validator, store);

    private static async Task RunAsync(HttpContext context, string type, string? id, ResourceBody body, ResourceValidator validator, IFhirStore? store)
    {
        ResourceTypes.Require(type);
        if (id is not null) ResourceTypes.RequireId(id);
        var shape = ResponseShape.From(context.Request);
        var request = context.Request;
        var ct = context.RequestAborted;
        string? mode = request.Query["mode"].FirstOrDefault(), profile = request.Query["profile"].FirstOrDefault();
        Resource? resource = null;

        var hasBody = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            var bytes = await body.ReadBytesAsync(request, ct);
            Resource parsed;
            try { parsed = ResourceBody.Parse(bytes, ResponseShape.RequestFormat(request)); }
            catch (FhirException e) when (e.Status == 400)
            {
                // The resource is malformed: that is the validation result. Inside Parameters, paths start at the resource.
                foreach (var issue in e.Outcome.Issue)
                    issue.Expression = issue.Expression.Select(x => ResourceParameter().Replace(x, type + ".")).ToList();
                await FhirResponses.WriteOutcomeAsync(context, e.Outcome, 200, shape);
                return;
            }
            if (parsed is Parameters parameters)
            {
                (resource, mode, profile) = FromParameters(parameters, mode, profile);
            }
            else resource = parsed;
        }

        mode ??= "create";
        if (mode is not ("create" or "update" or "delete"))
            throw FhirException.BadRequest($"mode must be create, update or delete, not '{mode}'", "mode", IssueType.Value);
        if (mode == "delete")
        {
            await WriteDeleteAsync(context, type, id, store, shape, ct);
            return;
        }
        if (resource is null)
            throw FhirException.BadRequest($"$validate needs a resource to validate (the body, or a Parameters 'resource' parameter) for mode {mode}", "resource", IssueType.Required);
        if (resource.TypeName != type)
            throw FhirException.BadRequest($"The resource is a {resource.TypeName} but the URL is for {type}", "resourceType");

        var outcome = validator.Validate(resource, ValidationMode.Profiles, profile);
        if (mode == "update") CheckUpdateIdentity(resource, id, outcome);
        await FhirResponses.WriteOutcomeAsync(context, outcome, 200, shape);
    }

    private static (Resource? Resource, string? Mode, string? Profile) FromParameters(Parameters parameters, string? mode, string? profile)
    {
        foreach (var p in parameters.Parameter)
        {
            switch (p.Name)
            {
                case "resource" when p.Resource is not null: break;
                case "mode" when p.Value is Code or FhirString: mode = p.Value.ToString(); break;
                case "profile" when p.Value is FhirUri or Canonical or FhirString: profile = p.Value.ToString(); break;
                default:
                    throw FhirException.BadRequest($"Unknown or malformed $validate parameter '{p.Name}' (expected resource, mode, profile)", $"Parameters.parameter.where(name='{p.Name}')");
            }
        }
        var resources = parameters.Parameter.Where(p => p.Name == "resource").ToList();
        if (resources.Count > 1) throw FhirException.BadRequest("Only one 'resource' parameter is allowed", "Parameters.parameter.where(name='resource')");
        return (resources.FirstOrDefault()?.Resource, mode, profile);
    }

    /// <summary>mode=update: the resource needs an id, and at instance level it must be the URL's.</summary>
    private static void CheckUpdateIdentity(Resource resource, string? id, OperationOutcome outcome)
    {
        var type = resource.TypeName;
        if (resource.Id is null)
            outcome.Issue.Insert(0, Outcomes.Issue(OperationOutcome.IssueSeverity.Error, IssueType.Required, "An update needs the resource's id", $"{type}.id"));
        else if (id is not null && resource.Id != id)
            outcome.Issue.Insert(0, Outcomes.Issue(OperationOutcome.IssueSeverity.Error, IssueType.Invalid, $"The id in the resource ({resource.Id}) does not match the URL ({id})", $"{type}.id"));
        outcome.Issue.RemoveAll(i => i.Code == IssueType.Informational && outcome.Issue.Count > 1 && i.Diagnostics == "No issues found");
    }

    /// <summary>mode=delete: this server has no rule that blocks a delete, so the answer depends only on the resource existing.</summary>
    private static async Task WriteDeleteAsync(HttpContext context, string type, string? id, IFhirStore? store, ResponseShape shape, CancellationToken ct)
    {
        if (id is null || store is null)
            throw FhirException.BadRequest("mode=delete needs an instance: POST [type]/[id]/$validate?mode=delete", "mode");
        var current = await store.ReadAsync(type, id, ct);
        if (current is null || current.Deleted) throw FhirException.NotFound($"{type}/{id} is not known");
        await FhirResponses.WriteOutcomeAsync(context, Outcomes.Information($"{type}/{id} can be deleted"), 200, shape);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Parameters\.parameter\[\d+\]\.resource\.")]
    private static partial System.Text.RegularExpressions.Regex ResourceParameter();
}
