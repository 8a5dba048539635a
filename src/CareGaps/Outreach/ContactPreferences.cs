using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Outreach;

/// <summary>
/// A member's contact preferences as the plan holds them: opt-outs per channel from active Consents (provision.type
/// deny; the channels in provision.code, none meaning every channel; from provision.period.start or dateTime) and
/// the preferred channel from the best-ranked telecom. docs/outreach.md "Contact preferences".
/// </summary>
public sealed class ContactPreferences
{
    public const string RuleOptOut = "outreach-opt-out";
    public static readonly Coding OptOutPolicy = new("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTOUT", "opt-out");

    private readonly List<(Consent Consent, IReadOnlyList<Channel> Channels, DateTimeOffset? From, DateTimeOffset? Until)> _optOuts = [];

    public Channel? Preferred { get; }

    public ContactPreferences(Patient? patient, IEnumerable<Consent> consents)
    {
        foreach (var consent in consents)
        {
            if (consent.Status != Consent.ConsentState.Active || consent.Provision?.Type != Consent.ConsentProvisionType.Deny) continue;
            var channels = OutreachTerms.ChannelsOf(consent.Provision.Code).ToList();
            if (consent.Provision.Code.Count > 0 && channels.Count == 0) continue; // a denial of something other than contact channels
            var from = Instants.Of(consent.Provision.Period?.StartElement) ?? Instants.Of(consent.DateTimeElement);
            var until = Instants.Of(consent.Provision.Period?.EndElement);
            _optOuts.Add((consent, channels.Count == 0 ? Enum.GetValues<Channel>() : channels, from, until));
        }
        Preferred = patient?.Telecom.Where(t => t.Period?.End is null).OrderBy(t => t.Rank ?? int.MaxValue)
            .Select(t => ChannelOf(t.System)).FirstOrDefault(c => c is not null);
    }

    /// <summary>The active opt-out Consent that forbids contacting the member on <paramref name="channel"/> at <paramref name="at"/> (null: now).</summary>
    public Consent? OptOut(Channel channel, DateTimeOffset? at) =>
        _optOuts.FirstOrDefault(o => o.Channels.Contains(channel) && (at is null || ((o.From is null || o.From <= at) && (o.Until is null || at <= o.Until)))).Consent;

    public IEnumerable<Channel> OptedOut => _optOuts.SelectMany(o => o.Channels).Distinct();

    /// <summary>
    /// Why an outbound attempt may not be stored: the first of its channels the member opted out of, unless it records
    /// a documented exception (outreach-exception extension). Inbound messages and attempts that were not made
    /// (status not-done, entered-in-error) are never refused.
    /// </summary>
    public (Channel Channel, Consent Consent)? Violation(OutreachAttempt attempt)
    {
        if (attempt.Inbound || attempt.Communication.Status is EventStatus.EnteredInError) return null;
        if (attempt.Communication.Extension.Any(e => e.Url == OutreachCodes.ExceptionExtension)) return null;
        foreach (var channel in attempt.Channels)
            if (OptOut(channel, attempt.When) is { } consent) return (channel, consent);
        return null;
    }

    /// <summary>The opt-out Consent an inbound "stop" records for its channels (null when it is not a stop or already covered).</summary>
    public Consent? OptOutFrom(OutreachAttempt attempt, DateTimeOffset now)
    {
        if (!attempt.Inbound || attempt.Outcome != Outcome.OptedOut) return null;
        var at = attempt.When ?? now;
        var channels = attempt.Channels.Where(c => OptOut(c, at) is null).ToList();
        if (attempt.Channels.Count > 0 && channels.Count == 0) return null;
        return new Consent
        {
            Status = Consent.ConsentState.Active,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0", "Patient Consent")],
            Patient = new ResourceReference($"Patient/{attempt.MemberId}"),
            DateTime = at.ToString("yyyy-MM-ddTHH:mm:ssK"),
            PolicyRule = new CodeableConcept { Coding = [OptOutPolicy], Text = "The member asked not to be contacted on this channel" },
            Provision = new Consent.provisionComponent
            {
                Type = Consent.ConsentProvisionType.Deny,
                Period = new Period { StartElement = new FhirDateTime(at) },
                Code = channels.Select(c => new CodeableConcept { Coding = [c.Coding()] }).ToList(),
                Data = attempt.Id.Length > 0
                    ? [new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Related, Reference = new ResourceReference($"Communication/{attempt.Id}") }]
                    : [],
            },
        };
    }

    private static Channel? ChannelOf(ContactPoint.ContactPointSystem? system) => system switch
    {
        ContactPoint.ContactPointSystem.Phone => Channel.Phone,
        ContactPoint.ContactPointSystem.Sms => Channel.Sms,
        ContactPoint.ContactPointSystem.Email => Channel.Email,
        ContactPoint.ContactPointSystem.Url => Channel.Portal,
        _ => null,
    };
}
