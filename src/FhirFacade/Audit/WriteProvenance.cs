using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// The Provenance a request's writes get, committed with them: the client's own from the <c>X-Provenance</c> header
/// (http.html#provenance; its target set to the versions written by create, update and patch), and, for a vendor
/// client (<c>fhircare_vendor</c> claim), one made by the server naming the client and the vendor Organization as agent.
/// </summary>
public sealed class WriteProvenance
{
    public const string Header = "X-Provenance";
    private const string ItemKey = nameof(WriteProvenance);

    private readonly Provenance? _declared;
    private readonly Requester _who;
    private readonly VersionedWrites _versions;
    private readonly TimeProvider _clock;

    private WriteProvenance(Provenance? declared, Requester who, VersionedWrites versions, TimeProvider clock)
    {
        _declared = declared;
        _who = who;
        _versions = versions;
        _clock = clock;
    }

    /// <summary>The request's Provenance rules (null when it has no header and is no vendor's); 400 on a bad header.</summary>
    public static WriteProvenance? Of(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var known)) return (WriteProvenance?)known;
        var who = Requester.Of(context);
        var header = context.Request.Headers[Header].ToString();
        var services = context.RequestServices;
        var provenance = header.Length > 0 || who.Vendor is not null
            ? new WriteProvenance(header.Length > 0 ? Parse(header, services.GetRequiredService<ResourceValidator>()) : null,
                who, services.GetRequiredService<VersionedWrites>(), services.GetRequiredService<TimeProvider>())
            : null;
        context.Items[ItemKey] = provenance;
        return provenance;
    }

    /// <summary>The Provenance versions to commit with <paramref name="writes"/> (none when nothing they wrote needs one).</summary>
    public IEnumerable<ResourceWrite> For(IReadOnlyList<ResourceWrite> writes)
    {
        var targets = writes;
        var withContent = targets.Where(w => !w.Deleted).ToList();
        if (_declared is not null && withContent.Count > 0)
        {
            var declared = (Provenance)_declared.DeepCopy();
            declared.Target = withContent.Select(Target).ToList();
            declared.Recorded ??= _clock.GetUtcNow();
            yield return New(declared);
        }
        if (_who.Vendor is { } vendor && targets.Count > 0)
        {
            var activities = targets.Select(w => w.Deleted ? "DELETE" : w.ExpectedCurrentVersion == 0 ? "CREATE" : "UPDATE").Distinct().ToList();
            var made = new Provenance
            {
                Target = targets.Select(Target).ToList(),
                Recorded = _clock.GetUtcNow(),
                Activity = activities.Count == 1 ? new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", activities[0]) : null,
                Agent =
                [
                    new Provenance.AgentComponent
                    {
                        Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author"),
                        Who = new ResourceReference("Organization/" + vendor) { Display = _who.ClientId ?? vendor },
                    },
                ],
            };
            if (_who.ClientId is { } client)
                made.Agent[0].Who.Identifier = new Identifier(AuditRecord.ClientIdSystem, client);
            yield return New(made);
        }
    }

    private ResourceWrite New(Provenance provenance)
    {
        var (write, _) = _versions.NextVersion(provenance, Create.NewId(), 0, "POST", created: true);
        return write;
    }

    private static ResourceReference Target(ResourceWrite w) => new($"{w.Type}/{w.Id}/_history/{w.Version}");

    /// <summary>The header's Provenance, checked now (before anything is written) with the target it will get.</summary>
    private static Provenance Parse(string header, ResourceValidator validator)
    {
        Resource parsed;
        try
        {
            parsed = ResourceBody.Parse(WithPendingTarget(header), FhirFormat.Json);
        }
        catch (FhirException e)
        {
            foreach (var issue in e.Outcome.Issue) issue.Diagnostics = $"{Header}: {issue.Diagnostics}";
            throw;
        }
        if (parsed is not Provenance provenance)
            throw FhirException.BadRequest($"{Header} must be a Provenance resource in JSON, not a {parsed.TypeName}", Header);
        var check = (Provenance)provenance.DeepCopy();
        check.Recorded ??= DateTimeOffset.UtcNow;
        try
        {
            validator.Check(check, at: Header);
        }
        catch (FhirException e)
        {
            throw new FhirException(400, e.Outcome); // a bad header is a bad request, whatever rule it breaks
        }
        return provenance;
    }

    /// <summary>
    /// The client leaves target out (the server fills it in), but the parser requires it (1..*): a placeholder stands
    /// in while parsing. Anything that is not a JSON Provenance object is left for the parser to report.
    /// </summary>
    private static byte[] WithPendingTarget(string header)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(header);
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(bytes) is System.Text.Json.Nodes.JsonObject o
                && o["resourceType"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
                && (string?)o["resourceType"] == "Provenance" && o["target"] is null)
            {
                o["target"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["reference"] = "Provenance/pending" });
                return System.Text.Encoding.UTF8.GetBytes(o.ToJsonString());
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return bytes;
    }
}
