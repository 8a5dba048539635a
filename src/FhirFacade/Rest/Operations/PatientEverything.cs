using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirCare.FhirFacade.Rest.Operations;

/// <summary>
/// Patient/$everything (patient-operation-everything.html, OperationDefinition Patient-everything): the patient's
/// compartment plus the resources it references (Practitioner, Organization, Location, Medication…), as a searchset
/// streamed from the store page by page. <c>start</c>/<c>end</c> keep compartment resources whose care date
/// (<see cref="CareDates"/>) overlaps the range, and those without one; <c>_since</c>, <c>_type</c>. <c>_count</c>
/// pages both levels with a <c>_cursor</c> (type level: patient by patient in id order); without it the whole result
/// is streamed in one Bundle.
/// </summary>
public static class PatientEverything
{
    /// <summary>Ours (profiles/OperationDefinition-Patient-everything.json), based on the standard one; it says how ours differs.</summary>
    public const string Definition = "https://fhircare.org/fhir/OperationDefinition/Patient-everything";

    private const int PageSize = 200;

    public static async Task InstanceAsync(HttpContext context, string id, PatientRecords records, BaseUrl baseUrl)
    {
        ResourceTypes.RequireId(id);
        var shape = ResponseShape.From(context.Request);
        var options = Parse(context.Request, records, context.RequestServices.GetRequiredService<CareDates>());
        var store = context.RequestServices.GetRequiredService<IFhirStore>();
        var patient = await AccessPolicy.Of(context).ReadAsync(store, "Patient", id, context.RequestAborted) ?? throw FhirException.NotFound($"Patient/{id} is not known");
        if (patient.Deleted) throw Read.Gone(patient);
        await RespondAsync(context, shape, options, records, baseUrl, $"Patient/{id}/$everything", after => Task.FromResult<IReadOnlyList<string>>(after is null ? [id] : []));
    }

    public static async Task TypeAsync(HttpContext context, PatientRecords records, BaseUrl baseUrl)
    {
        var shape = ResponseShape.From(context.Request);
        var options = Parse(context.Request, records, context.RequestServices.GetRequiredService<CareDates>());
        var store = context.RequestServices.GetRequiredService<IFhirStore>();
        await RespondAsync(context, shape, options, records, baseUrl, "Patient/$everything", async after =>
            (await store.ScanAsync("Patient", after, PatientRecords.PatientsPerQuery, context.RequestAborted)).Select(p => p.Id).ToList());
    }

    /// <summary>
    /// The patients come in chunks: <paramref name="chunkAfter"/> gives the chunk of patients after an id (null: the first;
    /// empty: no more). The instance level is one chunk of one patient.
    /// </summary>
    private static async Task RespondAsync(HttpContext context, ResponseShape shape, Options options, PatientRecords records, BaseUrl baseUrl,
        string path, Func<string?, Task<IReadOnlyList<string>>> chunkAfter)
    {
        var root = baseUrl.Of(context.Request);
        var self = $"{root}/{path}";
        var ct = context.RequestAborted;
        var bundle = new BundleResponse(Bundle.BundleType.Searchset, root);
        if (options.Count is not { } count)
        {
            bundle = new BundleResponse(Bundle.BundleType.Searchset, root) { Streamed = StreamAsync(records, chunkAfter, options, AccessPolicy.Of(context), ct) };
            bundle.Links.Add(("self", self + context.Request.QueryString));
            await bundle.WriteAsync(context, shape);
            return;
        }

        // Paged: one page is at most _count matches (plus what they reference), resumed from a (chunk, type, store cursor) position.
        var (after, typeIndex, cursor) = options.Cursor;
        var emitted = new HashSet<(string, string)>();
        var remaining = count;
        string? next = null;
        while (remaining > 0 && next is null)
        {
            var ids = await chunkAfter(after);
            if (ids.Count == 0) break;
            for (; typeIndex < options.Types.Count && remaining > 0; typeIndex++, cursor = null)
            {
                var type = options.Types[typeIndex];
                var page = await records.PageAsync(type, ids, options.FilterFor(type), cursor, remaining, withReferenced: true, ct, AccessPolicy.Of(context));
                Add(bundle.Entries, page, options, emitted);
                remaining -= page.Matches.Count;
                if (page.Next is not null) { next = Cursor(after, typeIndex, page.Next); break; }
            }
            if (next is not null) break;
            if (typeIndex < options.Types.Count) { next = Cursor(after, typeIndex, null); break; }
            if (ids.Count < PatientRecords.PatientsPerQuery) break; // the last chunk
            (after, typeIndex, cursor) = (ids[^1], 0, null);
            if (remaining == 0) next = Cursor(after, 0, null);
        }
        var query = Query(context.Request);
        bundle.Links.Add(("self", $"{self}?{query}_count={count}" + (options.CursorText is { } c ? $"&_cursor={c}" : "")));
        if (next is not null) bundle.Links.Add(("next", $"{self}?{query}_count={count}&_cursor={next}"));
        await bundle.WriteAsync(context, shape);
    }

    /// <summary>Every chunk's every type, page by page; referenced resources once each per chunk of patients.</summary>
    private static async IAsyncEnumerable<BundleEntry> StreamAsync(PatientRecords records, Func<string?, Task<IReadOnlyList<string>>> chunkAfter,
        Options options, AccessPolicy access, [EnumeratorCancellation] CancellationToken ct)
    {
        string? after = null;
        while (true)
        {
            var ids = await chunkAfter(after);
            if (ids.Count == 0) yield break;
            var emitted = new HashSet<(string, string)>();
            foreach (var type in options.Types)
            {
                string? cursor = null;
                do
                {
                    var page = await records.PageAsync(type, ids, options.FilterFor(type), cursor, PageSize, withReferenced: true, ct, access);
                    var entries = new List<BundleEntry>();
                    Add(entries, page, options, emitted);
                    foreach (var e in entries) yield return e;
                    cursor = page.Next;
                } while (cursor is not null);
            }
            if (ids.Count < PatientRecords.PatientsPerQuery) yield break;
            after = ids[^1];
        }
    }

    private static void Add(List<BundleEntry> entries, SearchPage page, Options options, HashSet<(string, string)> emitted)
    {
        foreach (var m in page.Matches)
            if (emitted.Add((m.Type, m.Id))) entries.Add(new BundleEntry(m, Bundle.SearchEntryMode.Match));
        // Referenced resources of compartment types come as matches if they are this patient's, and not at all otherwise.
        foreach (var i in page.Included)
            if (!options.CompartmentTypes.Contains(i.Type) && (options.TypeFilter is null || options.TypeFilter.Contains(i.Type)) && emitted.Add((i.Type, i.Id)))
                entries.Add(new BundleEntry(i, Bundle.SearchEntryMode.Include));
    }

    private sealed record Options(IReadOnlyList<string> Types, HashSet<string> CompartmentTypes, HashSet<string>? TypeFilter, SearchExpression? Since,
        (long? From, long? To) Care, CareDates CareDates, int? Count, (string? After, int Type, string? Store) Cursor, string? CursorText)
    {
        public SearchExpression? FilterFor(string type) =>
            (Since, CareDates.Filter(type, Care.From, Care.To)) switch
            {
                (null, var care) => care,
                (var since, null) => since,
                (var since, var care) => new AllOf([since, care]),
            };
    }

    private static Options Parse(HttpRequest request, PatientRecords records, CareDates careDates)
    {
        var query = request.Query;
        foreach (var name in query.Keys)
            if (name is not ("start" or "end" or "_since" or "_type" or "_count" or "_cursor" or "_format" or "_pretty" or "_summary" or "_elements"))
                throw FhirException.BadRequest($"'{name}' is not a parameter of $everything (supported: start, end, _since, _type, _count)", name, OperationOutcome.IssueType.NotSupported);
        foreach (var (name, values) in query)
            if (values.Count > 1 && name is "start" or "end" or "_since" or "_count" or "_cursor")
                throw FhirException.BadRequest($"$everything takes at most one '{name}'", name);
        long? from = query.TryGetValue("start", out var start) ? CareDates.ParseDate("start", start[0]).Start : null;
        long? to = query.TryGetValue("end", out var end) ? CareDates.ParseDate("end", end[0]).End : null;
        if (from > to) throw FhirException.BadRequest($"start ({start[0]}) is after end ({end[0]})", "start");
        SearchExpression? since = null;
        if (query.TryGetValue("_since", out var sinceValue))
        {
            if (!DateTimeOffset.TryParse(sinceValue[0], CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) || !sinceValue[0]!.Contains('T'))
                throw FhirException.BadRequest($"_since must be an instant with a time and zone (e.g. 2024-01-01T00:00:00Z), not '{sinceValue[0]}'", "_since");
            since = new LastUpdatedCondition(Comparator.Ge, instant.UtcTicks, instant.UtcTicks);
        }
        HashSet<string>? typeFilter = null;
        var types = records.Types;
        if (query.TryGetValue("_type", out var typeValues))
        {
            typeFilter = typeValues.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
            foreach (var t in typeFilter)
                if (!ResourceTypes.Served.Contains(t)) throw FhirException.BadRequest($"_type: '{t}' is not a resource type this server serves", "_type");
            types = records.CompartmentTypes.Where(typeFilter.Contains).ToList();
        }
        int? count = null;
        if (query.TryGetValue("_count", out var c))
        {
            if (!int.TryParse(c[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1000)
                throw FhirException.BadRequest($"_count must be a whole number from 1 to 1000, not '{c[0]}'", "_count");
            count = n;
        }
        var cursorText = query.TryGetValue("_cursor", out var cur) ? cur[0] : null;
        if (cursorText is not null && count is null) throw FhirException.BadRequest("_cursor comes from a next link and needs its _count", "_cursor");
        return new Options(types, records.CompartmentTypes.ToHashSet(), typeFilter, since, (from, to), careDates, count,
            cursorText is null ? (null, 0, null) : ParseCursor(cursorText, types.Count), cursorText);
    }

    private static string Cursor(string? after, int typeIndex, string? storeCursor) =>
        WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"{typeIndex}:{after}:{storeCursor}"));

    private static (string?, int, string?) ParseCursor(string text, int types)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(text)).Split(':', 3);
            if (parts.Length == 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t < types
                && (parts[1].Length == 0 || ResourceTypes.IsValidId(parts[1])))
                return (NullIfEmpty(parts[1]), t, NullIfEmpty(parts[2]));
        }
        catch (FormatException) { }
        throw FhirException.BadRequest("_cursor is not a paging position this server made", "_cursor");
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    /// <summary>The request's own parameters for paging links (without _count and _cursor), each followed by '&amp;'.</summary>
    private static string Query(HttpRequest request)
    {
        var sb = new StringBuilder();
        foreach (var (name, values) in request.Query)
            if (name is not ("_count" or "_cursor"))
                foreach (var v in values) sb.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(v ?? "")).Append('&');
        return sb.ToString();
    }
}
