using System.Text.Json;

namespace FhirCare.Bench;

/// <summary>
/// The search scenarios: each a fixed list of queries whose values are drawn (seeded) from the synthetic data, so
/// every query should match. Clients walk the list from different starting points.
/// </summary>
static class SearchQueries
{
    public const int PerScenario = 10_000;
    public static readonly string[] Names = ["token", "string", "date", "reference", "chained", "include", "sort-page"];
    public static readonly string[] Simple = ["token", "string", "date", "reference", "sort-page"];

    static readonly Kind[] ObservationKinds = [Kind.HbA1c, Kind.BloodPressure, Kind.Bmi, Kind.Ldl];

    public static string[] For(string name, SyntheticData data)
    {
        var random = new Random(data.Seed * 31 + Array.IndexOf(Names, name));
        var withHbA1c = Eligible(data, SyntheticData.CountFor(k => k == Kind.HbA1c, 1));
        var withTask = Eligible(data, SyntheticData.CountFor(k => k == Kind.Task, 1));
        var withCommunication = Eligible(data, SyntheticData.CountFor(k => k == Kind.Communication, 1));
        var withTwoPages = Eligible(data, SyntheticData.CountFor(SyntheticData.IsObservation, 11));
        var queries = new string[PerScenario];
        for (var i = 0; i < queries.Length; i++)
        {
            queries[i] = name switch
            {
                "token" when i % 2 == 0 =>
                    $"Observation?code={E("http://loinc.org|4548-4")}&subject=Patient/{Pick(withHbA1c, random).Id}",
                "token" => $"Patient?identifier={E(SyntheticData.MemberIdSystem + "|" + Pick(data, random).MemberId)}",
                "string" => $"Patient?family={E(Prefix(Pick(data, random).Family, random))}",
                "date" => DateRange(random),
                "reference" => Tasks(PickTask(withTask, random, null)),
                "chained" when i % 2 == 0 =>
                    $"Task?patient.identifier={E(SyntheticData.MemberIdSystem + "|" + Pick(withTask, random).MemberId)}",
                "chained" => $"Communication?subject:Patient.family={E(Pick(withCommunication, random).Family)}",
                "include" => Tasks(PickTask(withTask, random, "requested")) + "&_include=Task:patient",
                "sort-page" => $"Observation?subject=Patient/{Pick(withTwoPages, random).Id}&_sort=-date&_count=10",
                _ => throw new ArgumentException($"Unknown search scenario '{name}'."),
            };
        }
        return queries;

        static string E(string value) => Uri.EscapeDataString(value);
    }

    /// <summary>One calendar month of the three years, for one of the four Observation codes.</summary>
    static string DateRange(Random random)
    {
        var month = SyntheticData.Start.AddMonths(random.Next(36));
        var code = ResourceWriter.ObservationCode(ObservationKinds[random.Next(ObservationKinds.Length)]).Code;
        return $"Observation?date=ge{month:yyyy-MM-dd}&date=lt{month.AddMonths(1):yyyy-MM-dd}&code={Uri.EscapeDataString("http://loinc.org|" + code)}";
    }

    static string Tasks((string Status, int Vendor) task) => $"Task?owner=Organization/vendor-{task.Vendor}&status={task.Status}";

    /// <summary>Owner and status of a Task that exists (with the given status, if any).</summary>
    static (string Status, int Vendor) PickTask((SyntheticData Data, int[] Members) withTask, Random random, string? status)
    {
        while (true)
        {
            var m = withTask.Members[random.Next(withTask.Members.Length)];
            var slots = Enumerable.Range(1, withTask.Data.CountOf(m) - 1).Where(s => SyntheticData.KindOf(s) == Kind.Task).ToArray();
            var task = withTask.Data.TaskFacts(m, slots[random.Next(slots.Length)]);
            if (status is null || task.Status == status)
                return task;
        }
    }

    static string Prefix(string family, Random random) => family[..Math.Min(family.Length, 3 + random.Next(3))];

    static Member Pick(SyntheticData data, Random random) => data.MemberAt(random.Next(data.Members));

    static Member Pick((SyntheticData Data, int[] Members) eligible, Random random) =>
        eligible.Data.MemberAt(eligible.Members[random.Next(eligible.Members.Length)]);

    static (SyntheticData, int[]) Eligible(SyntheticData data, int minimumCount)
    {
        var members = Enumerable.Range(0, data.Members).Where(m => data.CountOf(m) >= minimumCount).ToArray();
        return members.Length > 0
            ? (data, members)
            : throw new InvalidOperationException($"No member has {minimumCount} resources; use fewer --members per --resources.");
    }
}

/// <summary>
/// GET one query after another. An answer without a match entry counts as empty (suspicious: every query should
/// match); with <c>followNext</c> each first page is followed by its next link, and a missing link counts as empty too;
/// with <c>expectIncludes</c> an answer without included entries does.
/// </summary>
sealed class SearchScenario : Scenario
{
    static readonly byte[] MatchEntry = """"mode":"match""""u8.ToArray();
    static readonly byte[] IncludeEntry = """"mode":"include""""u8.ToArray();

    readonly Uri[] _queries;
    readonly bool _followNext;
    readonly bool _expectIncludes;

    public SearchScenario(string name, Uri baseUri, IReadOnlyList<string> queries) : base(name)
    {
        _queries = queries.Select(q => new Uri(baseUri, q)).ToArray();
        _followNext = name == "sort-page";
        _expectIncludes = name == "include";
    }

    public override bool InspectsBody => true;

    public override HttpRequestMessage CreateRequest(ClientContext context)
    {
        if (context.NextPage is { } next)
        {
            context.NextPage = null;
            context.OnNextPage = true;
            return Request(HttpMethod.Get, next);
        }
        context.OnNextPage = false;
        var index = (int)((context.Id * 7919L + context.QueryCount++) % _queries.Length);
        return Request(HttpMethod.Get, _queries[index]);
    }

    public override bool HasResults(ClientContext context, ReadOnlySpan<byte> body)
    {
        var matched = body.IndexOf(MatchEntry) >= 0;
        if (_expectIncludes && body.IndexOf(IncludeEntry) < 0)
            matched = false;
        if (_followNext && !context.OnNextPage)
        {
            context.NextPage = NextLink(body);
            matched &= context.NextPage is not null;
        }
        return matched;
    }

    static Uri? NextLink(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var document = JsonDocument.ParseValue(ref reader);
        if (!document.RootElement.TryGetProperty("link", out var links))
            return null;
        foreach (var link in links.EnumerateArray())
        {
            if (link.GetProperty("relation").GetString() == "next")
                return new Uri(link.GetProperty("url").GetString()!);
        }
        return null;
    }
}
