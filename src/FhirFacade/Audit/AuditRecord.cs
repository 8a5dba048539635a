using System.Text;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Audit;

/// <summary>
/// Builds the AuditEvent of one answered request after the IHE Basic Audit Log Patterns (BALP): type rest, subtype the
/// restful interaction, action, outcome from the status, agents (the client with the source address, the user, this
/// server), source this server, and entities (the resource, the query in base64, the patient).
/// </summary>
public static class AuditRecord
{
    public const string InteractionSystem = "http://hl7.org/fhir/restful-interaction";
    public const string OperationSystem = "https://fhircare.org/fhir/CodeSystem/operation";
    public const string ClientIdSystem = "https://fhircare.org/fhir/client-id";
    public const string UserIdSystem = "https://fhircare.org/fhir/user-id";
    private const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    private const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";

    public static AuditEvent Of(HttpContext context, AuditedRequest request, Requester who, DateTimeOffset recorded, string server)
    {
        var status = context.Response.StatusCode;
        var interaction = context.Features.Get<AuditFacts>()?.Interaction ?? request.Interaction;
        var audit = new AuditEvent
        {
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation"),
            Action = request.Action,
            Recorded = recorded,
            Outcome = status switch
            {
                < 400 => AuditEvent.AuditEventOutcome.N0,
                < 500 => AuditEvent.AuditEventOutcome.N4,
                _ => AuditEvent.AuditEventOutcome.N8,
            },
            OutcomeDesc = $"{status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}".TrimEnd(),
            Source = new AuditEvent.SourceComponent
            {
                Site = server,
                Observer = new ResourceReference { Display = "FhirCare FHIR server", Identifier = new Identifier("urn:ietf:rfc:3986", server) },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        if (interaction is not null) audit.Subtype.Add(new Coding(InteractionSystem, interaction));
        if (request.Operation is { } operation) audit.Subtype.Add(new Coding(OperationSystem, operation));

        audit.Agent.Add(Client(who));
        if (who.User is { } user)
            audit.Agent.Add(new AuditEvent.AgentComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient"),
                Who = new ResourceReference { Identifier = new Identifier(UserIdSystem, user), Display = user },
                AltId = user,
                Requestor = true,
            });
        audit.Agent.Add(new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept(Dicom, "110152", "Destination Role ID"),
            Who = new ResourceReference { Identifier = new Identifier("urn:ietf:rfc:3986", server), Display = "FhirCare FHIR server" },
            Requestor = false,
            Network = new AuditEvent.NetworkComponent { Address = context.Request.Host.Host, Type = AuditEvent.AuditEventAgentNetworkType.N1 },
        });

        if (ResourceOf(context, request) is { } what)
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(what),
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(ObjectRole, "4", "Domain Resource"),
            });
        if (context.Request.QueryString is { HasValue: true } query && query.Value!.Length > 1)
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                Type = new Coding(EntityType, "2", "System Object"),
                Role = new Coding(ObjectRole, "24", "Query"),
                Query = Encoding.UTF8.GetBytes(query.Value),
                Description = $"{context.Request.Method} {context.Request.Path}",
            });
        if ((PatientOf(context, request) ?? who.Patient) is { } patient)
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference("Patient/" + patient),
                Type = new Coding(EntityType, "1", "Person"),
                Role = new Coding(ObjectRole, "1", "Patient"),
            });
        return audit;
    }

    private static AuditEvent.AgentComponent Client(Requester who)
    {
        var client = new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept(Dicom, "110153", "Source Role ID"),
            Who = new ResourceReference
            {
                Reference = who.Vendor is { } vendor ? "Organization/" + vendor : null,
                Identifier = new Identifier(ClientIdSystem, who.ClientId ?? "anonymous"),
                Display = who.ClientId ?? "anonymous client",
            },
            Name = who.ClientId ?? "anonymous",
            Requestor = who.User is null,
        };
        if (who.Address is { } address)
            client.Network = new AuditEvent.NetworkComponent { Address = address, Type = AuditEvent.AuditEventAgentNetworkType.N2 };
        if (who.Scope is { } scope) client.Policy = [scope];
        return client;
    }

    /// <summary>[type]/[id]/_history/[version] of what the request named or wrote (a create's from its Location).</summary>
    private static string? ResourceOf(HttpContext context, AuditedRequest request)
    {
        var response = context.Response;
        if (request.Action == AuditEvent.AuditEventAction.C && response.Headers.Location.ToString() is { Length: > 0 } location)
        {
            var s = location.Split('/');
            return s.Length >= 4 && s[^2] == "_history" ? string.Join('/', s[^4..]) : null;
        }
        if (request.Type is not { } type || request.Id is not { } id || !ResourceTypes.Served.Contains(type) || !ResourceTypes.IsValidId(id)) return null;
        var version = response.StatusCode < 300 ? WriteResults.ParseETag(response.Headers.ETag.ToString()) : null;
        return version is null ? $"{type}/{id}" : $"{type}/{id}/_history/{version}";
    }

    private static string? PatientOf(HttpContext context, AuditedRequest request) =>
        request.Patient ?? (request.Type == "Patient" && ResourceOf(context, request) is { } created ? created.Split('/')[1] : null);
}
