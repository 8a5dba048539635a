using System.Globalization;
using System.Text;
using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// history at instance, type and system level (http.html#history), newest first, with _since, _at, _count and
/// keyset paging (a cursor in the next link, so pages stay stable while new versions arrive).
/// </summary>
public static class History
{
    private const int DefaultCount = 50, MaxCount = 1000;

    public static Task SystemAsync(HttpContext context, IFhirStore store, BaseUrl baseUrl) =>
        RunAsync(context, store, baseUrl, HistoryLevel.System, null, null);

    public static Task TypeAsync(HttpContext context, string type, IFhirStore store, BaseUrl baseUrl) =>
        RunAsync(context, store, baseUrl, HistoryLevel.Type, ResourceTypes.Require(type), null);

    public static async Task InstanceAsync(HttpContext context, string type, string id, IFhirStore store, BaseUrl baseUrl)
    {
        ResourceTypes.Require(type);
        ResourceTypes.RequireId(id);
        if (await AccessPolicy.Of(context).ReadAsync(store, type, id, context.RequestAborted) is null) throw FhirException.NotFound($"{type}/{id} is not known");
        await RunAsync(context, store, baseUrl, HistoryLevel.Instance, type, id);
    }

    private static async Task RunAsync(HttpContext context, IFhirStore store, BaseUrl baseUrl, HistoryLevel level, string? type, string? id)
    {
        var request = context.Request;
        var shape = ResponseShape.From(request);
        var q = request.Query;
        foreach (var key in q.Keys)
            if (key is not ("_since" or "_at" or "_count" or "_cursor" or "_format" or "_pretty" or "_summary" or "_elements") && Prefer.From(request).Strict)
                throw FhirException.BadRequest($"'{key}' is not a history parameter (_since, _at, _count)", key, OperationOutcome.IssueType.NotSupported);

        var since = Range(q["_since"], "_since") is { } s ? new DateTimeOffset(s.Start, TimeSpan.Zero) : (DateTimeOffset?)null;
        var at = Range(q["_at"], "_at");
        var count = DefaultCount;
        if (q.TryGetValue("_count", out var c) && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxCount))
            throw FhirException.BadRequest($"_count must be a whole number from 1 to {MaxCount}, not '{c}'", "_count");
        HistoryCursor? cursor = null;
        if (q.TryGetValue("_cursor", out var cur))
        {
            var parts = cur.ToString().Split('.');
            if (parts.Length != 2 || !long.TryParse(parts[0], out var ticks) || !long.TryParse(parts[1], out var seq))
                throw FhirException.BadRequest($"_cursor '{cur}' is not a cursor this server issued", "_cursor");
            cursor = new HistoryCursor(ticks, seq);
        }

        var page = await store.HistoryAsync(new HistoryQuery(level, type, id, since, at, count, cursor), context.RequestAborted);
        var root = baseUrl.Of(request);
        var path = level switch { HistoryLevel.System => "_history", HistoryLevel.Type => $"{type}/_history", _ => $"{type}/{id}/_history" };
        var bundle = new BundleResponse(Bundle.BundleType.History, root) { Total = page.Total };
        bundle.Links.Add(("self", root + "/" + path + request.QueryString));
        bundle.Links.Add(("first", Link(root, path, q["_since"], q["_at"], count, null)));
        if (page.Next is { } next) bundle.Links.Add(("next", Link(root, path, q["_since"], q["_at"], count, next)));
        foreach (var entry in await AccessPolicy.Of(context).VisibleAsync(page.Entries, store, context.RequestAborted)) bundle.Entries.Add(new BundleEntry(entry, WithRequest: true));
        await bundle.WriteAsync(context, shape);
    }

    /// <summary>The range a date, dateTime or instant covers ("2024" is the whole year).</summary>
    private static (long Start, long End)? Range(string? value, string name)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (!Search.Parameters.DateParameter.TryRange(value, out var start, out var end))
            throw FhirException.BadRequest($"{name} must be a FHIR instant or date like 2024-01-31T12:00:00Z, not '{value}'", name);
        return (start, end);
    }

    private static string Link(string root, string path, string? since, string? at, int count, HistoryCursor? cursor)
    {
        var sb = new StringBuilder(root).Append('/').Append(path).Append("?_count=").Append(count);
        if (!string.IsNullOrEmpty(since)) sb.Append("&_since=").Append(Uri.EscapeDataString(since));
        if (!string.IsNullOrEmpty(at)) sb.Append("&_at=").Append(Uri.EscapeDataString(at));
        if (cursor is { } c) sb.Append("&_cursor=").Append(c.LastUpdatedTicks).Append('.').Append(c.Sequence);
        return sb.ToString();
    }
}
