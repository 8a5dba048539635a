using FhirCare.CareGaps.Outreach;

namespace FhirCare.CareGaps.Trust;

/// <summary>
/// The outreach that fits a stage (DESIGN.md §2): on which channel (the preferred one the member has not opted out
/// of, else the first allowed of phone, SMS, email, mail, portal), by when, and what kind of content
/// (outreach-topic codes).
/// </summary>
public sealed record NextOutreach(Channel? Channel, DateOnly Before, string Content, string Description)
{
    private static readonly Channel[] Fallback = [Outreach.Channel.Phone, Outreach.Channel.Sms, Outreach.Channel.Email, Outreach.Channel.Mail, Outreach.Channel.Portal];

    public static NextOutreach For(TrustStage? stage, ContactPreferences preferences, DateOnly today)
    {
        var optedOut = preferences.OptedOut.ToHashSet();
        Channel? channel = preferences.Preferred is { } p && !optedOut.Contains(p) ? p : Fallback.Where(c => !optedOut.Contains(c)).Select(c => (Channel?)c).FirstOrDefault();
        var (days, content, text) = stage switch
        {
            null => (7, "education", "Introduce the plan with short, relevant education and invite a reply"),
            TrustStage.Connection => (7, "education", "High-level, relevant education about benefits; invite questions"),
            TrustStage.Caution => (14, "rapport-building", "Proactive, rapport-building contact: answer questions, offer help with a concrete need"),
            TrustStage.Consistency => (30, "personalised-guidance", "Personalised outreach at the preferred channel and time, about the member's own gaps and needs"),
            TrustStage.Courage => (7, "reassurance", "Reassure and celebrate the step taken: what happens next, testimonials, practical help (transport, booking)"),
            _ => (30, "check-in", "Helpful tips and regular check-ins that keep delivering value"),
        };
        return new NextOutreach(channel, today.AddDays(days), content,
            channel is null ? $"{text}. The member opted out of every channel: no outreach until they opt back in" : $"{text}, by {channel.Value.Code()} before {today.AddDays(days):yyyy-MM-dd}");
    }
}
