using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Outreach;

/// <summary>
/// One Communication read as an outreach attempt: its channels, direction (a Patient sender means the member wrote
/// to the plan), outcome, time, whether it was personalised and what it was about. See docs/outreach.md.
/// </summary>
public sealed class OutreachAttempt
{
    public required Communication Communication { get; init; }
    public required string MemberId { get; init; }
    public required IReadOnlyList<Channel> Channels { get; init; }
    public required Direction Direction { get; init; }
    public required Outcome? Outcome { get; init; }
    /// <summary>sent (outbound) or received (inbound), else the other one; null when neither is recorded.</summary>
    public required DateTimeOffset? When { get; init; }
    public required bool Personalised { get; init; }

    public string Id => Communication.Id ?? "";
    public bool Inbound => Direction == Direction.FromMember;

    /// <summary>A two-way contact: the member answered (outcome reached) or wrote to the plan.</summary>
    public bool TwoWay => Inbound ? Communication.Status is not EventStatus.EnteredInError : Outcome == Outreach.Outcome.Reached;

    public bool HasTopic(string code) =>
        Communication.Topic?.Coding.Any(c => c.System == OutreachCodes.TopicSystem && c.Code == code) == true
        || Communication.ReasonCode.SelectMany(r => r.Coding).Any(c => c.System == OutreachCodes.TopicSystem && c.Code == code);

    /// <summary>The attempt of a Communication, or null when it names no member (subject or, inbound, sender).</summary>
    public static OutreachAttempt? Of(Communication c)
    {
        var inbound = ReferencedPatient(c.Sender) is not null;
        var member = ReferencedPatient(c.Subject) ?? (inbound ? ReferencedPatient(c.Sender) : c.Recipient.Select(ReferencedPatient).FirstOrDefault(r => r is not null));
        if (member is null) return null;
        var sent = Instants.Of(c.SentElement);
        var received = Instants.Of(c.ReceivedElement);
        return new OutreachAttempt
        {
            Communication = c,
            MemberId = member,
            Channels = OutreachTerms.ChannelsOf(c.Medium).ToList(),
            Direction = inbound ? Direction.FromMember : Direction.ToMember,
            Outcome = OutcomeOf(c, inbound),
            When = inbound ? received ?? sent : sent ?? received,
            Personalised = c.GetExtensionValue<FhirBoolean>(OutreachCodes.PersonalisedExtension)?.Value == true,
        };
    }

    /// <summary>statusReason coded in our outcome system; else completed means reached (a plain "done" Communication).</summary>
    private static Outcome? OutcomeOf(Communication c, bool inbound)
    {
        var coded = c.StatusReason?.Coding.Where(x => x.System == OutreachCodes.OutcomeSystem).Select(x => OutreachTerms.ParseOutcome(x.Code ?? "")).FirstOrDefault(o => o is not null);
        if (coded is not null) return coded;
        if (inbound && IsStopText(c)) return Outreach.Outcome.OptedOut;
        return c.Status == EventStatus.Completed ? Outreach.Outcome.Reached : null;
    }

    /// <summary>An inbound message whose whole text is a stop word (STOP, UNSUBSCRIBE…), the SMS convention.</summary>
    public static bool IsStopText(Communication c) =>
        c.Payload.Select(p => (p.Content as FhirString)?.Value?.Trim().ToUpperInvariant()).Any(t => t is "STOP" or "STOPALL" or "UNSUBSCRIBE" or "CANCEL" or "END" or "QUIT");

    public static string? ReferencedPatient(ResourceReference? reference) =>
        reference?.Reference is { } r && r.StartsWith("Patient/", StringComparison.Ordinal) ? r[8..].Split('/')[0] : null;
}
