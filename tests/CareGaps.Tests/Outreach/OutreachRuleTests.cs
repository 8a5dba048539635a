using FhirCare.CareGaps.Outreach;
using FhirCare.CareGaps.Scorecard;
using FhirCare.CareGaps.Trust;
using Hl7.Fhir.Model;
using S = Hl7.Fhir.Model.Task.TaskStatus;

namespace FhirCare.CareGaps.Tests.Outreach;

/// <summary>The pure outreach rules: Task transitions, opt-outs, trust stages and setbacks, the scorecard's median.</summary>
public sealed class OutreachRuleTests
{
    private static readonly DateOnly Today = new(2026, 6, 30);
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    private static Communication Contact(string member, string channel, DateTimeOffset at, bool inbound = false, string outcome = "reached", bool personalised = false, string? topic = null)
    {
        var c = new Communication
        {
            Id = Guid.NewGuid().ToString("N"),
            Status = outcome == "reached" || inbound ? EventStatus.Completed : EventStatus.NotDone,
            StatusReason = new CodeableConcept(OutreachCodes.OutcomeSystem, outcome),
            Medium = [new CodeableConcept(OutreachCodes.ChannelSystem, channel)],
            Subject = new ResourceReference($"Patient/{member}"),
            Sender = new ResourceReference(inbound ? $"Patient/{member}" : "Practitioner/cm"),
        };
        if (inbound) c.ReceivedElement = new FhirDateTime(at); else c.SentElement = new FhirDateTime(at);
        if (personalised) c.Extension.Add(new Extension(OutreachCodes.PersonalisedExtension, new FhirBoolean(true)));
        if (topic is not null) c.Topic = new CodeableConcept(OutreachCodes.TopicSystem, topic);
        return c;
    }

    private static Patient Member(string id = "m") => new() { Id = id, Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "1") { Rank = 1 }] };

    private static TrustAssessment Assess(params Resource[] record) => TrustAssessor.Assess(TrustEvidence.From(Member(), record), Today, TrustRules.Default);

    [Theory]
    [InlineData(S.Requested, S.Accepted, true)]
    [InlineData(S.Requested, S.Completed, false)]
    [InlineData(S.Accepted, S.InProgress, true)]
    [InlineData(S.InProgress, S.OnHold, true)]
    [InlineData(S.OnHold, S.Completed, false)]
    [InlineData(S.Completed, S.InProgress, false)]
    [InlineData(S.Cancelled, S.Cancelled, true)]
    [InlineData(S.Draft, S.EnteredInError, true)]
    [InlineData(S.Failed, S.EnteredInError, false)]
    public void Task_transitions_follow_the_FHIR_state_machine(S from, S to, bool allowed) =>
        Assert.Equal(allowed, TaskTransitions.IsAllowed(from, to));

    [Fact]
    public void An_opt_out_covers_its_channels_from_its_start_and_an_exception_lifts_it()
    {
        var stop = OutreachAttempt.Of(Contact("m", "sms", Now.AddDays(-1), inbound: true, outcome: "opted-out"))!;
        var consent = new ContactPreferences(null, []).OptOutFrom(stop, Now)!;
        consent.Id = "optout";
        var preferences = new ContactPreferences(null, [consent]);
        Assert.Null(new ContactPreferences(null, [consent]).OptOutFrom(stop, Now)); // already covered: nothing new to record
        Assert.Equal(Channel.Sms, preferences.Violation(OutreachAttempt.Of(Contact("m", "sms", Now))!)?.Channel);
        Assert.Null(preferences.Violation(OutreachAttempt.Of(Contact("m", "sms", Now.AddDays(-2)))!)); // before the opt-out
        Assert.Null(preferences.Violation(OutreachAttempt.Of(Contact("m", "phone", Now))!));
        var excepted = Contact("m", "sms", Now);
        excepted.Extension.Add(new Extension(OutreachCodes.ExceptionExtension, new CodeableConcept(OutreachCodes.ExceptionSystem, "safety")));
        Assert.Null(preferences.Violation(OutreachAttempt.Of(excepted)!));
        var v3 = Contact("m", "x", Now);
        v3.Medium = [new CodeableConcept(OutreachCodes.V3ParticipationMode, "PHONE")];
        Assert.Equal([Channel.Phone], OutreachAttempt.Of(v3)!.Channels);
    }

    [Fact]
    public void Stages_build_on_each_other_and_setbacks_step_back()
    {
        Assert.Null(Assess(Contact("m", "phone", Now.AddDays(-10), outcome: "no-answer")).Stage);
        Assert.Equal(TrustStage.Connection, Assess(Contact("m", "phone", Now.AddDays(-10))).Stage);
        Assert.Equal(TrustStage.Caution, Assess(Contact("m", "phone", Now.AddDays(-10)), Contact("m", "sms", Now.AddDays(-5), inbound: true)).Stage);
        var plan = new CarePlan { Id = "cp", Status = RequestStatus.Active, Period = new Period { StartElement = new FhirDateTime(Now.AddDays(-3)) } };
        // a committing act without consistency stays at caution: stages build on each other
        Assert.Equal(TrustStage.Caution, Assess(Contact("m", "phone", Now.AddDays(-10)), Contact("m", "sms", Now.AddDays(-5), inbound: true), plan).Stage);
        Resource[] consistent = [.. new[] { 40, 30, 20 }.Select(d => Contact("m", "phone", Now.AddDays(-d), personalised: true))];
        Assert.Equal(TrustStage.Consistency, Assess(consistent).Stage);
        // personalised contacts on another channel than the preferred phone do not make consistency
        Assert.Equal(TrustStage.Caution, Assess([.. new[] { 40, 30, 20 }.Select(d => Contact("m", "email", Now.AddDays(-d), personalised: true))]).Stage);
        Assert.Equal(TrustStage.Courage, Assess([.. consistent, plan]).Stage);
        var complaint = Contact("m", "phone", Now.AddDays(-1), inbound: true, topic: "complaint");
        var assessed = Assess([.. consistent, plan, complaint]);
        Assert.Equal(TrustStage.Consistency, assessed.Stage);
        Assert.Contains(assessed.Findings, f => f.Rule == "complaint" && f.Held && f.Evidence.Single() == $"Communication/{complaint.Id}");
        Assert.Equal(TrustStage.Connection, Assess(Contact("m", "phone", Now.AddDays(-200)), Contact("m", "phone", Now.AddDays(-190))).Stage);
    }

    [Fact]
    public void The_recommendation_avoids_opted_out_channels()
    {
        var optOut = new Consent { Id = "o", Status = Consent.ConsentState.Active, Provision = new Consent.provisionComponent { Type = Consent.ConsentProvisionType.Deny, Code = [new CodeableConcept(OutreachCodes.ChannelSystem, "phone")] } };
        var next = NextOutreach.For(TrustStage.Caution, new ContactPreferences(Member(), [optOut]), Today);
        Assert.Equal((Channel.Sms, "rapport-building", Today.AddDays(14)), (next.Channel!.Value, next.Content, next.Before));
        var all = new Consent { Id = "a", Status = Consent.ConsentState.Active, Provision = new Consent.provisionComponent { Type = Consent.ConsentProvisionType.Deny } };
        Assert.Null(NextOutreach.For(TrustStage.Commitment, new ContactPreferences(Member(), [all]), Today).Channel);
    }

    [Fact]
    public void Responsiveness_is_the_median_of_the_answer_times()
    {
        var scorecard = new Scorecard.Scorecard(new DateOnly(2026, 1, 1), new DateOnly(2026, 3, 31), []);
        var t0 = new DateTimeOffset(2026, 2, 1, 8, 0, 0, TimeSpan.Zero);
        var record = new List<Resource>();
        foreach (var hours in new[] { 1, 3, 10 })
        {
            var inbound = Contact("m", "sms", t0.AddDays(hours), inbound: true);
            var answer = Contact("m", "sms", t0.AddDays(hours).AddHours(hours));
            answer.InResponseTo = [new ResourceReference($"Communication/{inbound.Id}")];
            record.AddRange([inbound, answer]);
        }
        record.Add(Contact("m", "sms", t0.AddDays(20), inbound: true)); // never answered
        scorecard.Add(Member(), record);
        var report = scorecard.Reports(new ResourceReference("Organization/plan"), Now, [ScorecardMetric.Responsiveness]).Single();
        var group = report.Group.Single();
        Assert.Equal(3m, group.MeasureScore.Value);
        Assert.Equal([4, 3, 1], group.Population.Select(p => p.Count!.Value));
    }
}
