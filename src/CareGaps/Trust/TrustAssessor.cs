using FhirCare.CareGaps.Measures;
using FhirCare.CareGaps.Outreach;
using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Trust;

/// <summary>One rule's verdict: whether it held, what it means, and the resources (Type/id) it rests on.</summary>
public sealed record TrustFinding(string Rule, bool Held, string Explanation, IReadOnlyList<string> Evidence);

/// <summary>A member's assessed stage (null: no two-way contact yet), every rule's finding and the next outreach that fits.</summary>
public sealed record TrustAssessment(TrustStage? Stage, DateOnly AssessedOn, IReadOnlyList<TrustFinding> Findings, NextOutreach Recommendation)
{
    /// <summary>The evidence of the findings that decided the stage (held rules up to the stage, and every setback).</summary>
    public IReadOnlyList<string> Evidence => Findings.Where(f => f.Held).SelectMany(f => f.Evidence).Distinct().ToList();
}

/// <summary>
/// The trust-stage rule set (docs/outreach.md "Trust stages"). Stages build on each other: a member is at the highest
/// stage whose rule holds together with every rule below it; then each setback (long silence, a recent complaint, a
/// recent opt-out, recent outreach against the member's preferences) steps the member back one stage, never below
/// connection. Pure and deterministic: the same evidence and day give the same stage.
/// </summary>
public static class TrustAssessor
{
    public static TrustAssessment Assess(TrustEvidence e, DateOnly today, TrustRules rules)
    {
        var now = new DateTimeOffset(today.ToDateTime(new TimeOnly(23, 59, 59)), TimeSpan.Zero);
        var twoWay = e.Attempts.Where(a => a.TwoWay && a.When <= now).ToList();
        var findings = new List<TrustFinding>();

        var first = twoWay.FirstOrDefault();
        findings.Add(new("connection", first is not null,
            first is not null ? $"First two-way contact on {Day(first.When)} ({Describe(first)})" : "No two-way contact yet: the member has not answered or written to the plan",
            first is not null ? [Ref(first)] : []));

        findings.Add(new("caution", twoWay.Count >= rules.CautionContacts,
            $"{twoWay.Count} two-way contact(s) (conversations, questions); caution needs {rules.CautionContacts}",
            twoWay.Take(rules.CautionContacts).Select(Ref).ToList()));

        var preferred = e.Preferences.Preferred;
        var windowStart = now.AddDays(-rules.ConsistencyWindowDays);
        var personalised = twoWay.Where(a => a.Personalised && a.When >= windowStart && (preferred is null || a.Channels.Contains(preferred.Value))).ToList();
        findings.Add(new("consistency", personalised.Count >= rules.ConsistencyContacts,
            $"{personalised.Count} personalised two-way contact(s) at the preferred channel ({preferred?.Code() ?? "none recorded: any channel"}) in the last {rules.ConsistencyWindowDays} days; consistency needs {rules.ConsistencyContacts}",
            personalised.Select(Ref).ToList()));

        var acts = CommittingActs(e).Where(a => a.When <= now).OrderBy(a => a.When).ToList();
        findings.Add(new("courage", acts.Count > 0,
            acts.Count > 0 ? $"Committing act(s): {string.Join("; ", acts.Select(a => $"{a.What} on {Day(a.When)}"))}" : "No committing act yet (programme enrolment, accepted CarePlan, booked appointment)",
            acts.Select(a => a.Reference).ToList()));

        var firstAct = acts.FirstOrDefault();
        var recent = twoWay.Where(a => a.When >= now.AddDays(-rules.EngagedWithinDays)).ToList();
        var closed = firstAct is null ? [] : ClosedGaps(e).Where(g => g.When >= firstAct.When && g.When <= now).ToList();
        var sustained = firstAct is not null && firstAct.When <= now.AddDays(-rules.CommitmentAfterDays);
        findings.Add(new("commitment", sustained && recent.Count > 0 && closed.Count > 0,
            firstAct is null ? "No committing act to sustain yet"
                : $"First committing act {(int)(now - firstAct.When).TotalDays} days ago (needs {rules.CommitmentAfterDays}); {recent.Count} two-way contact(s) in the last {rules.EngagedWithinDays} days; {closed.Count} gap(s) closed since",
            recent.Select(Ref).Concat(closed.Select(g => g.Reference)).ToList()));

        var reached = 0;
        foreach (var f in findings) { if (!f.Held) break; reached++; }
        TrustStage? stage = reached == 0 ? null : (TrustStage)(reached - 1);

        var setbacks = Setbacks(e, twoWay, now, rules).ToList();
        findings.AddRange(setbacks);
        if (stage is { } s)
            stage = (TrustStage)Math.Max((int)TrustStage.Connection, (int)s - setbacks.Count(f => f.Held) - setbacks.Count(f => f.Held && f.Rule == "long-silence-twice"));
        return new TrustAssessment(stage, today, findings, NextOutreach.For(stage, e.Preferences, today));
    }

    private static IEnumerable<TrustFinding> Setbacks(TrustEvidence e, List<OutreachAttempt> twoWay, DateTimeOffset now, TrustRules rules)
    {
        var last = twoWay.LastOrDefault();
        if (last is not null)
        {
            var silent = (now - last.When!.Value).TotalDays;
            if (silent >= rules.SilenceDays)
                yield return new(silent >= 2 * rules.SilenceDays ? "long-silence-twice" : "long-silence", true,
                    $"No two-way contact for {(int)silent} days (last on {Day(last.When)}); silence steps back one stage after {rules.SilenceDays} days, two after {2 * rules.SilenceDays}",
                    [Ref(last)]);
        }
        var since = now.AddDays(-rules.SetbackDays);
        var complaints = e.Attempts.Where(a => a.Inbound && a.HasTopic("complaint") && a.When >= since && a.When <= now).ToList();
        if (complaints.Count > 0)
            yield return new("complaint", true, $"{complaints.Count} complaint(s) in the last {rules.SetbackDays} days", complaints.Select(Ref).ToList());
        var stops = e.Attempts.Where(a => a.Inbound && a.Outcome == Outcome.OptedOut && a.When >= since && a.When <= now).ToList();
        if (stops.Count > 0)
            yield return new("opt-out", true, $"The member opted out of a channel in the last {rules.SetbackDays} days", stops.Select(Ref).ToList());
        var against = e.Attempts.Where(a => !a.Inbound && a.When >= since && a.When <= now
            && a.Channels.Any(c => e.Preferences.OptOut(c, a.When) is not null)).ToList();
        if (against.Count > 0)
            yield return new("against-preferences", true, $"{against.Count} outreach attempt(s) on a channel the member opted out of in the last {rules.SetbackDays} days", against.Select(Ref).ToList());
    }

    private sealed record Dated(DateTimeOffset When, string What, string Reference);

    private static IEnumerable<Dated> CommittingActs(TrustEvidence e)
    {
        foreach (var plan in e.CarePlans.Where(p => p.Status is RequestStatus.Active or RequestStatus.Completed))
            if ((Instants.Of(plan.Period?.StartElement) ?? Instants.Of(plan.CreatedElement)) is { } when)
                yield return new(when, "accepted a care plan", $"CarePlan/{plan.Id}");
        foreach (var episode in e.Enrolments.Where(x => x.Status is EpisodeOfCare.EpisodeOfCareStatus.Active or EpisodeOfCare.EpisodeOfCareStatus.Finished))
            if (Instants.Of(episode.Period?.StartElement) is { } when)
                yield return new(when, "enrolled in a programme", $"EpisodeOfCare/{episode.Id}");
        foreach (var appointment in e.Appointments.Where(a => a.Status is Appointment.AppointmentStatus.Booked or Appointment.AppointmentStatus.Arrived
                     or Appointment.AppointmentStatus.Fulfilled or Appointment.AppointmentStatus.CheckedIn))
            if ((Instants.Of(appointment.CreatedElement) ?? appointment.Start) is { } when)
                yield return new(when, "booked an appointment", $"Appointment/{appointment.Id}");
    }

    private static IEnumerable<Dated> ClosedGaps(TrustEvidence e)
    {
        foreach (var gap in e.Gaps.Where(g => GapStatusOf(g) == GapStatus.ClosedGap))
            if (gap.Mitigation.Select(m => Instants.Of(m.DateElement)).FirstOrDefault(d => d is not null) is { } when)
                yield return new(when, "closed a gap", $"DetectedIssue/{gap.Id}");
    }

    public static GapStatus? GapStatusOf(DetectedIssue issue) =>
        issue.ModifierExtension.FirstOrDefault(x => x.Url == GapsReport.GapStatusExtension)?.Value is CodeableConcept c
            ? GapStatusCodes.Parse(c.Coding.FirstOrDefault()?.Code ?? "") : null;

    private static string Ref(OutreachAttempt a) => $"Communication/{a.Id}";

    private static string Describe(OutreachAttempt a) =>
        $"{(a.Inbound ? "the member wrote" : "the member answered")}{(a.Channels.Count > 0 ? " by " + a.Channels[0].Code() : "")}";

    private static string Day(DateTimeOffset? d) => d?.ToString("yyyy-MM-dd") ?? "?";
}
