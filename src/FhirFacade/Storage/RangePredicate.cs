using FhirCare.FhirFacade.Search.Expressions;

namespace FhirCare.FhirFacade.Storage;

/// <summary>
/// The spec's range comparisons (search.html#prefix) of a stored range [start, end] against the searched range
/// [ps, pe], as a SQL predicate; SQLite's and Cosmos DB's SQL share this syntax, and each store binds the bounds its way.
/// </summary>
public static class RangePredicate
{
    public static string Of(string start, string end, Comparator c, long ps, long pe, Func<long, string> bind)
    {
        string S() => bind(ps);
        string E() => bind(pe);
        return c switch
        {
            Comparator.Eq => $"({start} >= {S()} AND {end} <= {E()})",
            Comparator.Ne => $"NOT ({start} >= {S()} AND {end} <= {E()})",
            Comparator.Gt => $"{end} > {E()}",
            Comparator.Lt => $"{start} < {S()}",
            Comparator.Ge => $"({end} > {E()} OR ({start} >= {S()} AND {end} <= {E()}))",
            Comparator.Le => $"({start} < {S()} OR ({start} >= {S()} AND {end} <= {E()}))",
            Comparator.Sa => $"{start} > {E()}",
            Comparator.Eb => $"{end} < {S()}",
            _ => Approximately(start, end, ps, pe, bind),
        };
    }

    /// <summary>ap: overlaps the searched range widened by 10% of its distance from now (at least a day).</summary>
    private static string Approximately(string start, string end, long ps, long pe, Func<long, string> bind)
    {
        var gap = Math.Max(TimeSpan.TicksPerDay, Math.Abs(DateTime.UtcNow.Ticks - ps) / 10);
        var (low, high) = (Math.Max(0, ps - gap), Math.Min(DateTime.MaxValue.Ticks, pe + gap));
        return $"({start} <= {bind(high)} AND {end} >= {bind(low)})";
    }
}
