using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCare.FhirFacade.Tests.Outreach;

/// <summary>Members, outreach attempts and Tasks in the guide's profiles, for the outreach tests.</summary>
public static class OutreachData
{
    public const string GuideBase = "https://fhircare.org/fhir";
    public const string Topic = GuideBase + "/CodeSystem/outreach-topic";
    public const string ChannelSystem = GuideBase + "/CodeSystem/outreach-channel";
    public const string OutcomeSystem = GuideBase + "/CodeSystem/outreach-outcome";

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    public static Patient Member(string id, string? tier = null, string preferred = "phone") => new()
    {
        Id = id,
        Meta = new Meta { Profile = [GuideBase + "/StructureDefinition/member-patient"] },
        Extension = tier is null ? [] : [new Extension(GuideBase + "/StructureDefinition/member-risk-tier", new Code(tier))],
        Identifier = [new Identifier(GuideBase + "/member-id", id)],
        Name = [new HumanName { Family = "Member", Given = [id] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1965-04-12",
        Telecom = [new ContactPoint(preferred == "email" ? ContactPoint.ContactPointSystem.Email : ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, "+1 555 0100") { Rank = 1 }],
    };

    /// <summary>An outreach attempt: outbound from a case manager unless <paramref name="inbound"/> (the member writes).</summary>
    public static Communication Attempt(string member, string channel, string outcome, DateTimeOffset at, bool inbound = false, bool personalised = false,
        string? topic = null, string? text = null, string? inResponseTo = null)
    {
        var reached = outcome == "reached" || inbound;
        var c = new Communication
        {
            Id = Unique("c"),
            Meta = new Meta { Profile = [GuideBase + "/StructureDefinition/outreach-communication"] },
            Status = reached ? EventStatus.Completed : EventStatus.NotDone,
            StatusReason = new CodeableConcept(OutcomeSystem, outcome),
            Medium = [new CodeableConcept(ChannelSystem, channel)],
            Subject = new ResourceReference($"Patient/{member}"),
            Sender = new ResourceReference(inbound ? $"Patient/{member}" : "Practitioner/case-manager-lee"),
            Recipient = [new ResourceReference(inbound ? "Organization/fhircare-plan" : $"Patient/{member}")],
        };
        if (inbound) c.ReceivedElement = new FhirDateTime(at); else c.SentElement = new FhirDateTime(at);
        if (personalised) c.Extension.Add(new Extension(GuideBase + "/StructureDefinition/personalised-outreach", new FhirBoolean(true)));
        if (topic is not null) c.Topic = new CodeableConcept(Topic, topic);
        if (text is not null) c.Payload = [new Communication.PayloadComponent { Content = new FhirString(text) }];
        if (inResponseTo is not null) c.InResponseTo = [new ResourceReference($"Communication/{inResponseTo}")];
        return c;
    }

    public static FhirTask Work(string member, string code = "care-gap", FhirTask.TaskStatus status = FhirTask.TaskStatus.Requested, string owner = "Practitioner/case-manager-lee", DateTimeOffset? done = null) => new()
    {
        Id = Unique("t"),
        Meta = new Meta { Profile = [GuideBase + "/StructureDefinition/outreach-task"] },
        Status = status,
        Intent = FhirTask.TaskIntent.Order,
        Code = new CodeableConcept(Topic, code),
        For = new ResourceReference($"Patient/{member}"),
        AuthoredOn = "2025-01-02T09:00:00Z",
        Owner = new ResourceReference(owner),
        StatusReason = status is FhirTask.TaskStatus.Cancelled or FhirTask.TaskStatus.Failed or FhirTask.TaskStatus.Rejected ? new CodeableConcept { Text = "member moved away" } : null,
        ExecutionPeriod = done is null ? null : new Period { StartElement = new FhirDateTime(done.Value.AddHours(-1)), EndElement = new FhirDateTime(done.Value) },
    };

    public static async Task<T> CreateAsync<T>(this HttpClient http, T resource) where T : Resource
    {
        var reply = await http.FhirAsync(HttpMethod.Put, $"{resource.TypeName}/{resource.Id}", resource);
        Assert.True(reply.Status is HttpStatusCode.Created or HttpStatusCode.OK, reply.ToString());
        return reply.As<T>();
    }

    public static async Task<Parameters> OperationAsync(this HttpClient http, HttpMethod method, string url)
    {
        var reply = method == HttpMethod.Get ? await http.FhirGetAsync(url) : await http.FhirAsync(method, url, new Parameters { Id = "request" });
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.As<Parameters>();
    }

    public static int Count(this Parameters p, string name) => ((Integer)p.GetSingleValue<Integer>(name)!).Value!.Value;
}
