using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Outreach;

/// <summary>The canonical URLs of the outreach terminology and extensions (profiles/, base https://fhircare.org/fhir).</summary>
public static class OutreachCodes
{
    public const string Base = "https://fhircare.org/fhir";
    public const string ChannelSystem = Base + "/CodeSystem/outreach-channel";
    public const string OutcomeSystem = Base + "/CodeSystem/outreach-outcome";
    public const string TopicSystem = Base + "/CodeSystem/outreach-topic";
    public const string ExceptionSystem = Base + "/CodeSystem/outreach-exception";
    public const string TrustStageSystem = Base + "/CodeSystem/trust-stage";
    public const string RiskTierExtension = Base + "/StructureDefinition/member-risk-tier";
    public const string TrustStageExtension = Base + "/StructureDefinition/trust-stage";
    public const string PersonalisedExtension = Base + "/StructureDefinition/personalised-outreach";
    public const string ExceptionExtension = Base + "/StructureDefinition/outreach-exception";
    public const string TaskProfile = Base + "/StructureDefinition/outreach-task";
    public const string CommunicationProfile = Base + "/StructureDefinition/outreach-communication";
    public const string GapIdentifierSystem = Base + "/identifier/care-gap";
    public const string TaskIdentifierSystem = Base + "/identifier/outreach-task";
    public const string V3ParticipationMode = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";
}

public enum Channel { Phone, Sms, Email, Mail, Portal, InPerson }

public enum Outcome { Reached, NoAnswer, Voicemail, WrongNumber, Declined, OptedOut }

public enum Direction { ToMember, FromMember }

/// <summary>Codes of the outreach CodeSystems, and the v3 ParticipationMode codes read as the same channel.</summary>
public static class OutreachTerms
{
    private static readonly (Channel Channel, string Code, string[] V3)[] Channels =
    [
        (Channel.Phone, "phone", ["PHONE", "VERBAL"]),
        (Channel.Sms, "sms", []),
        (Channel.Email, "email", ["EMAILWRIT"]),
        (Channel.Mail, "mail", ["MAILWRIT", "WRITTEN"]),
        (Channel.Portal, "portal", ["ONLINEWRIT", "ELECTRONIC"]),
        (Channel.InPerson, "in-person", ["FACE", "PHYSICAL"]),
    ];

    private static readonly (Outcome Outcome, string Code)[] Outcomes =
    [
        (Outcome.Reached, "reached"), (Outcome.NoAnswer, "no-answer"), (Outcome.Voicemail, "voicemail"),
        (Outcome.WrongNumber, "wrong-number"), (Outcome.Declined, "declined"), (Outcome.OptedOut, "opted-out"),
    ];

    public static string Code(this Channel channel) => Channels.First(c => c.Channel == channel).Code;

    public static string Code(this Outcome outcome) => Outcomes.First(o => o.Outcome == outcome).Code;

    public static Channel? ParseChannel(string code) => Channels.Where(c => c.Code == code).Select(c => (Channel?)c.Channel).FirstOrDefault();

    public static Outcome? ParseOutcome(string code) => Outcomes.Where(o => o.Code == code).Select(o => (Outcome?)o.Outcome).FirstOrDefault();

    /// <summary>The channel of a coding: ours, or a v3 ParticipationMode code that means the same channel.</summary>
    public static Channel? ChannelOf(Coding coding) => coding.System switch
    {
        OutreachCodes.ChannelSystem => ParseChannel(coding.Code ?? ""),
        OutreachCodes.V3ParticipationMode => Channels.Where(c => c.V3.Contains(coding.Code)).Select(c => (Channel?)c.Channel).FirstOrDefault(),
        _ => null,
    };

    public static IEnumerable<Channel> ChannelsOf(IEnumerable<CodeableConcept> concepts) =>
        concepts.SelectMany(c => c.Coding).Select(ChannelOf).OfType<Channel>().Distinct();

    public static Coding Coding(this Channel channel) => new(OutreachCodes.ChannelSystem, channel.Code());

    public static Coding Coding(this Outcome outcome) => new(OutreachCodes.OutcomeSystem, outcome.Code());
}
