using FhirCare.CareGaps.Outreach;
using FhirCare.CareGaps.Trust;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>
/// GET Patient/[id]/$outreach-timeline (OperationDefinition outreach-timeline): the member's outreach in time order,
/// as a collection Bundle — every Communication (at its sent/received time), every version of their Tasks (status
/// changes) and DetectedIssues (gap changes) at the time it was written, opt-out Consents and trust-stage changes.
/// <c>start</c>/<c>end</c> (dates) narrow it.
/// </summary>
public static class OutreachTimelineOperation
{
    public const string Name = "outreach-timeline";
    public const string Definition = "https://fhircare.org/fhir/OperationDefinition/outreach-timeline";

    private static readonly string[] Types = ["Communication", "Task", "DetectedIssue", "Consent", "Observation"];
    private static readonly HashSet<string> Versioned = ["Task", "DetectedIssue"];

    public static async Task HandleAsync(HttpContext context, string id, IFhirStore store, OutreachOperations operations, BaseUrl baseUrl)
    {
        var ct = context.RequestAborted;
        var shape = ResponseShape.From(context.Request);
        var input = await OperationInput.ReadAsync(context.Request, operations.Measures.Body, ct);
        input.RequireKnown(new HashSet<string> { "start", "end" }, new HashSet<string>());
        DateTimeOffset? from = input.Single("start") is null ? null : new DateTimeOffset(input.Date("start", end: false).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        DateTimeOffset? to = input.Single("end") is null ? null : new DateTimeOffset(input.Date("end", end: true).AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (from > to) throw FhirException.BadRequest("end is before start", "end");
        var patient = await TrustStageOperation.ReadPatientAsync(store, id, ct);

        var records = (await operations.Records.LoadAsync(store, [patient.Id], Types, ct))[patient.Id];
        var items = new List<(DateTimeOffset When, Resource Resource)>();
        foreach (var resource in records)
        {
            if (Versioned.Contains(resource.TypeName))
            {
                await foreach (var version in VersionsAsync(store, resource.TypeName, resource.Id, ct))
                    items.Add((version.LastUpdated, FhirResponses.ParseStored(version)));
                continue;
            }
            if (When(resource) is { } when) items.Add((when, resource));
        }
        var root = baseUrl.Of(context.Request);
        var bundle = new Bundle
        {
            Id = Guid.CreateVersion7().ToString(),
            Type = Bundle.BundleType.Collection,
            Timestamp = operations.Measures.Clock.GetUtcNow(),
            Entry = items.Where(i => (from is null || i.When >= from) && (to is null || i.When < to))
                .OrderBy(i => i.When).ThenBy(i => i.Resource.TypeName, StringComparer.Ordinal)
                .Select(i => new Bundle.EntryComponent { FullUrl = $"{root}/{i.Resource.TypeName}/{i.Resource.Id}/_history/{i.Resource.Meta?.VersionId}", Resource = i.Resource })
                .ToList(),
        };
        bundle.Total = bundle.Entry.Count;
        await FhirResponses.WriteResourceAsync(context, bundle, 200, shape);
    }

    /// <summary>When an item happened: a Communication when sent/received, a Consent when given, a stage change when assessed.</summary>
    private static DateTimeOffset? When(Resource resource) => resource switch
    {
        Communication c => OutreachAttempt.Of(c)?.When ?? resource.Meta?.LastUpdated,
        Consent c => Instants.Of(c.DateTimeElement) ?? resource.Meta?.LastUpdated,
        Observation o when TrustStageCodes.IsChange(o) => Instants.Of(o.Effective as FhirDateTime) ?? resource.Meta?.LastUpdated,
        _ => null,
    };

    private static async IAsyncEnumerable<StoredResource> VersionsAsync(IFhirStore store, string type, string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        HistoryCursor? before = null;
        do
        {
            var page = await store.HistoryAsync(new HistoryQuery(HistoryLevel.Instance, type, id, null, null, 100, before), ct);
            foreach (var version in page.Entries.Where(v => !v.Deleted)) yield return version;
            before = page.Next;
        } while (before is not null);
    }
}
