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

    /// <summary>
    /// Number and quantity comparisons (search.html#number): a stored [low, high] against the searched value and its
    /// precision range, plus the quantity's unit when the search names one.
    /// </summary>
    public static string OfNumber(NumberCondition n, string low, string high, string system, string code, Func<object, string> bind)
    {
        var (v, lo, hi) = ((double)n.Value, (double)n.Low, (double)n.High);
        var sql = n.Comparator switch
        {
            Comparator.Eq => $"{low} >= {bind(lo)} AND {high} < {bind(hi)}",
            Comparator.Ne => $"NOT ({low} >= {bind(lo)} AND {high} < {bind(hi)})",
            Comparator.Gt => $"{high} > {bind(v)}",
            Comparator.Lt => $"{low} < {bind(v)}",
            Comparator.Ge => $"{high} >= {bind(v)}",
            Comparator.Le => $"{low} <= {bind(v)}",
            Comparator.Sa => $"{low} > {bind(v)}",
            Comparator.Eb => $"{high} < {bind(v)}",
            _ => $"{high} >= {bind(v - Math.Abs(v) * 0.1)} AND {low} <= {bind(v + Math.Abs(v) * 0.1)}",
        };
        if (n.System is not null) sql += $" AND {system} = {bind(n.System)}";
        if (n.Code is not null) sql += $" AND {code} = {bind(n.Code)}";
        return sql;
    }

    /// <summary>ap: overlaps the searched range widened by 10% of its distance from now (at least a day).</summary>
    private static string Approximately(string start, string end, long ps, long pe, Func<long, string> bind)
    {
        var gap = Math.Max(TimeSpan.TicksPerDay, Math.Abs(DateTime.UtcNow.Ticks - ps) / 10);
        var (low, high) = (Math.Max(0, ps - gap), Math.Min(DateTime.MaxValue.Ticks, pe + gap));
        return $"({start} <= {bind(high)} AND {end} >= {bind(low)})";
    }
}
