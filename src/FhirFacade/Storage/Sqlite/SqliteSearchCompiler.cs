using System.Text;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// The SQL for one search: the page query (which also selects the <paramref name="KeyCount"/> sort-key values after
/// the resource columns, for the paging cursors), the count query, and their parameters.
/// </summary>
internal sealed record CompiledSearch(string Select, string Count, IReadOnlyList<SqliteParameter> Parameters, int KeyCount = 0, bool Backwards = false, int Driver = -1)
{
    public string Cursor(bool before, object?[] keys) => new PageCursor(before, keys, Driver).Encode();
}

/// <summary>
/// Compiles a storage-neutral <see cref="SearchExpression"/> into SQL over the idx_* tables. Every condition becomes a
/// predicate on a resource row alias (r for the searched type, t/s for chained ones), so conditions nest freely.
/// </summary>
internal sealed class SqliteSearchCompiler
{
    private const string Columns = "r.type, r.id, v.version, v.last_updated, v.deleted, v.json";
    private readonly List<SqliteParameter> _parameters = [];
    private int _aliases;

    /// <summary>
    /// Compiles a search. Unsorted type searches walk the index of their most selective condition in key order and
    /// stop at the page size (see <see cref="Walk"/>); sorted and system searches order matching resources by the
    /// sort keys and the rowid. <paramref name="cursorText"/> is the opaque keyset cursor of the page, if any.
    /// </summary>
    /// <param name="connection">Where to count a candidate driver's rows when the choice depends on the data.</param>
    public static CompiledSearch Compile(SearchQuery query, string? cursorText, SqliteConnection? connection = null)
    {
        var c = new SqliteSearchCompiler();
        IReadOnlyList<SearchExpression> operands = query.Filter switch { null => [], AllOf all => all.Operands, var f => [f] };
        var cursor = cursorText is null ? null : PageCursor.Decode(cursorText);
        var walks = query.Sort.Count == 0 && query.ResourceType is not null ? Walks(operands) : [];
        var walk = cursor is null ? ChooseWalk(walks, connection)
            : cursor.Driver < 0 ? null
            : walks.FirstOrDefault(w => w.Driver == operands.ElementAtOrDefault(cursor.Driver)) ?? throw new InvalidCursorException("The _cursor does not belong to this search");
        var keyCount = walk is null ? query.Sort.Count + 1 : walk.Keys.Length + 1;
        if (cursor is not null && cursor.Values.Length != keyCount) throw new InvalidCursorException("The _cursor does not belong to this search");
        var where = query.ResourceType is null ? "r.deleted = 0" : $"r.type = {c.Param(query.ResourceType)} AND r.deleted = 0";
        var count = $"SELECT COUNT(*) FROM resource r WHERE {where}" + (query.Filter is null ? "" : " AND " + c.Predicate(query.Filter, "r"));
        var select = walk is null ? c.Sorted(query, where, cursor) : c.Walked(query, walk, operands, where, cursor);
        return new CompiledSearch(select, count, c._parameters, keyCount, cursor?.Before == true, walk is null ? -1 : IndexOf(operands, walk.Driver));
    }

    /// <summary>Matches ordered by the sort keys, then the rowid; the filter drives through <see cref="Conjunction"/>.</summary>
    private string Sorted(SearchQuery query, string where, PageCursor? cursor)
    {
        if (query.Filter is not null) where += " AND " + Predicate(query.Filter, "r");
        var keys = SortKeys(query.Sort);
        if (cursor is not null) where += " AND " + Beyond(keys, cursor.Values, 0, cursor.Before);
        var backwards = cursor?.Before == true;
        var order = string.Join(", ", keys.Select(k =>
        {
            var desc = k.Descending != backwards;
            // The rowid is never null: ordering by it alone lets SQLite walk an index in order and stop at the limit.
            return k.Expr == "r.rid"
                ? $"r.rid {(desc ? "DESC" : "ASC")}"
                : $"{k.Expr} IS NULL {(backwards ? "DESC" : "ASC")}, {k.Expr} {(desc ? "DESC" : "ASC")}";
        }));
        var keyColumns = string.Concat(keys.Select((k, i) => $", {k.Expr} AS k{i}"));
        return $"""
            SELECT {Columns}{keyColumns} FROM resource r JOIN version v ON v.rid = r.rid AND v.version = r.version
            WHERE {where} ORDER BY {order} LIMIT {query.Count + 1} OFFSET {(cursor is null ? query.Offset : 0)}
            """;
    }

    /// <summary>
    /// How an unsorted search reads its driver: the index rows of one condition, in the order of the index key that
    /// follows the condition's fixed prefix (<see cref="Keys"/>, then the rowid), ascending or descending. Walking an
    /// index in order lets SQLite stop at the page size instead of collecting every match of the driver and sorting
    /// them, which is what made searches with large match sets slow (Task?owner=… with thousands of Tasks).
    /// The walk order is the result order; keyset cursors hold the walk keys.
    /// </summary>
    private sealed record Walk(SearchExpression Driver, string Table, string[] Keys, bool Descending, int Rank);

    /// <summary>Rows of a code beyond which a closed date window is the better driver (it walks fewer rows per page).</summary>
    private const int CommonCodeRows = 1000;

    private static int IndexOf(IReadOnlyList<SearchExpression> operands, SearchExpression driver)
    {
        for (var i = 0; i < operands.Count; i++) if (ReferenceEquals(operands[i], driver)) return i;
        return -1;
    }

    /// <summary>The conditions that could drive a walk, most selective-looking first.</summary>
    private static List<Walk> Walks(IReadOnlyList<SearchExpression> operands)
    {
        var dates = operands.OfType<DateCondition>().ToList();
        return operands.Select(o => WalkFor(o, dates)).OfType<Walk>().OrderBy(w => w.Rank).ToList();
    }

    private static Walk? ChooseWalk(List<Walk> walks, SqliteConnection? connection)
    {
        if (walks.Count == 0) return null;
        // A page costs about (page size / share of driver rows that match the rest). A code that many resources carry
        // (one LOINC code on a quarter of all Observations) matches a month's window rarely, while most rows of the
        // window carry the code often enough: a bounded count of the code's rows decides between the two.
        var window = walks.FirstOrDefault(w => w.Rank == WindowRank);
        if (window is not null && walks[0].Driver is TokenCondition && connection is not null && RowsUpTo(connection, walks[0], CommonCodeRows) >= CommonCodeRows)
            return window;
        return walks[0];
    }

    private static long RowsUpTo(SqliteConnection connection, Walk walk, int limit)
    {
        var c = new SqliteSearchCompiler();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM (SELECT 1 FROM {walk.Table} WHERE {c.Seek(walk.Driver)} LIMIT {limit})";
        cmd.Parameters.AddRange(c._parameters);
        return (long)cmd.ExecuteScalar()!;
    }

    private const int WindowRank = 4;

    private static bool IsIdentifier(string param) => param.EndsWith(".identifier", StringComparison.Ordinal) || param.EndsWith(":of-type", StringComparison.Ordinal);

    private static Walk? WalkFor(SearchExpression e, IReadOnlyList<DateCondition> dates) => e switch
    {
        ReferenceCondition { Url: null, TargetId: not null, TargetType: not null } => new(e, "idx_reference", ["url"], false, 0),
        ReferenceCondition { Url: null, TargetId: not null } => new(e, "idx_reference", ["target_type", "url"], false, 0),
        TokenCondition { Code: not null, System: not null } t => new(e, "idx_token", ["text"], false, IsIdentifier(t.Param) ? 0 : 1),
        TokenCondition { Code: not null } t => new(e, "idx_token", ["system", "text"], false, IsIdentifier(t.Param) ? 0 : 3),
        UriCondition { Match: UriMatch.Exact } => new(e, "idx_uri", [], false, 1),
        StringCondition { Match: StringMatch.Exact } => new(e, "idx_string", [], false, 2),
        StringCondition { Match: StringMatch.StartsWith } => new(e, "idx_string", ["norm", "exact"], false, 5),
        // Dates walk (start, end): from a lower bound upwards, or from an upper bound (or the latest) downwards, where
        // matches of an open-ended range are densest. A window closed by another condition on the same parameter
        // (date=ge…&date=lt…) is selective: it ranks after tokens, but <see cref="ChooseWalk"/> prefers it to a common code.
        DateCondition { Comparator: Comparator.Sa or Comparator.Eq } d => new(e, "idx_date", ["start", "end"], false, Closed(d, dates) ? WindowRank : 6),
        // gt/ge bound only the end, which the index cannot seek: their walk starts at the latest date, so a window's
        // upper-bound condition (lt, le, eb), which seeks straight to its bound, drives instead.
        DateCondition { Comparator: Comparator.Gt or Comparator.Ge } => new(e, "idx_date", ["start", "end"], true, 7),
        DateCondition { Comparator: not Comparator.Ne } d => new(e, "idx_date", ["start", "end"], true, Closed(d, dates) ? WindowRank : 6),
        _ => null,
    };

    /// <summary>Whether the date conditions on <paramref name="d"/>'s parameter bound it from below and from above.</summary>
    private static bool Closed(DateCondition d, IReadOnlyList<DateCondition> dates)
    {
        var same = dates.Where(x => x.Param == d.Param).Select(x => x.Comparator).ToList();
        return same.Contains(Comparator.Eq) || same.Contains(Comparator.Ap)
            || (same.Any(c => c is Comparator.Ge or Comparator.Gt or Comparator.Sa) && same.Any(c => c is Comparator.Le or Comparator.Lt or Comparator.Eb));
    }

    private string Walked(SearchQuery query, Walk walk, IReadOnlyList<SearchExpression> operands, string where, PageCursor? cursor)
    {
        var seek = Seek(walk.Driver);
        var sql = new StringBuilder($"{seek} AND {where}");
        // Value conditions probe by the driver row's rid, so SQLite checks them before it reads the resource and
        // version rows: only matches pay for those.
        foreach (var o in operands.Where(o => o != walk.Driver))
            sql.Append(" AND ").Append(IsValueCondition(o) ? OnDriverRow(o, walk.Driver) : Predicate(o, "r"));
        // A resource with several driver rows (two names starting "Sm") is returned at the first of them only.
        if (walk.Keys.Length > 0)
            sql.Append($" AND NOT EXISTS (SELECT 1 FROM {walk.Table} WHERE rid = d.rid AND {Seek(walk.Driver)} AND ({string.Join(", ", walk.Keys)}) {(walk.Descending ? ">" : "<")} ({string.Join(", ", walk.Keys.Select(k => "d." + k))}))");
        var columns = walk.Keys.Select(k => "d." + k).Append("d.rid").ToList();
        var backwards = cursor?.Before == true;
        if (cursor is not null)
            sql.Append($" AND ({string.Join(", ", columns)}) {(walk.Descending != backwards ? "<" : ">")} ({string.Join(", ", cursor.Values.Select(Param))})");
        var direction = walk.Descending != backwards ? "DESC" : "ASC";
        return $"""
            SELECT {Columns}{string.Concat(columns.Select((k, i) => $", {k} AS k{i}"))}
            FROM {walk.Table} d JOIN resource r ON r.rid = d.rid JOIN version v ON v.rid = r.rid AND v.version = r.version
            WHERE {sql} ORDER BY {string.Join(", ", columns.Select(k => $"{k} {direction}"))} LIMIT {query.Count + 1} OFFSET {(cursor is null ? query.Offset : 0)}
            """;
    }

    /// <summary>
    /// A value condition checked for the walked resource. The other bound of a date window (date=ge…&amp;date=lt…) is
    /// usually met by the driver row itself: testing that row first saves the probe, which still decides otherwise
    /// (any of the resource's values may meet each bound).
    /// </summary>
    private string OnDriverRow(SearchExpression condition, SearchExpression driver)
    {
        var probe = $"EXISTS (SELECT 1 FROM {Table(condition)} WHERE {Row(condition)} AND rid = d.rid)";
        return condition is DateCondition { Comparator: not Comparator.Ne } date && driver is DateCondition own && own.Param == date.Param
            ? $"({Range("d.start", "d.end", date.Comparator, date.Start, date.End)} OR {probe})"
            : probe;
    }

    /// <summary>The driver's row condition, with the bounds its range implies on start so SQLite can seek (start ≤ end).</summary>
    private string Seek(SearchExpression driver) => driver switch
    {
        DateCondition { Comparator: Comparator.Eq or Comparator.Le } d => $"{Row(d)} AND start <= {Param(d.End)}",
        DateCondition { Comparator: Comparator.Eb } d => $"{Row(d)} AND start < {Param(d.Start)}",
        _ => Row(driver),
    };

    /// <summary>
    /// Rows strictly after (or before) the cursor row in the order of <paramref name="keys"/>, where each key sorts
    /// its nulls last: (k0 beyond v0) or (k0 = v0 and (k1 beyond v1 or …)).
    /// </summary>
    private string Beyond(IReadOnlyList<(string Expr, bool Descending)> keys, object?[] values, int i, bool before)
    {
        if (i == keys.Count) return "0";
        var (e, desc) = keys[i];
        if (e == "r.rid") return $"r.rid {(desc != before ? "<" : ">")} {Param(values[i])}"; // the last key, never null: a plain range
        var rest = Beyond(keys, values, i + 1, before);
        if (values[i] is null)
            return before ? $"({e} IS NOT NULL OR {rest})" : $"({e} IS NULL AND {rest})";
        var p = Param(values[i]);
        var op = desc != before ? "<" : ">";
        return before
            ? $"({e} IS NOT NULL AND ({e} {op} {p} OR ({e} = {p} AND {rest})))"
            : $"({e} IS NULL OR {e} {op} {p} OR ({e} = {p} AND {rest}))";
    }

    /// <summary>Targets of <paramref name="spec"/>'s references from the given <c>SourceType</c> resources.</summary>
    public static CompiledSearch Include(IncludeSpec spec, IReadOnlyList<string> sourceIds)
    {
        var c = new SqliteSearchCompiler();
        var where = $"src.type = {c.Param(spec.SourceType)} AND src.id IN ({string.Join(", ", sourceIds.Select(i => c.Param(i)))})";
        if (spec.Param is not null) where += $" AND ref.param = {c.ParamId(spec.Param)}";
        if (spec.TargetType is not null) where += $" AND ref.target_type = {c.Param(spec.TargetType)}";
        var select = $"""
            SELECT DISTINCT {Columns} FROM idx_reference ref JOIN resource src ON src.rid = ref.rid
            JOIN resource r ON r.type = ref.target_type AND r.id = ref.target_id AND r.deleted = 0
            JOIN version v ON v.rid = r.rid AND v.version = r.version
            WHERE {where}
            """;
        return new CompiledSearch(select, "", c._parameters);
    }

    /// <summary><c>SourceType</c> resources whose references (through <paramref name="spec"/>) point at the given resources.</summary>
    public static CompiledSearch? RevInclude(IncludeSpec spec, string targetType, IReadOnlyList<string> targetIds)
    {
        if (spec.TargetType is not null && spec.TargetType != targetType) return null;
        var c = new SqliteSearchCompiler();
        var where = $"ref.target_type = {c.Param(targetType)} AND ref.target_id IN ({string.Join(", ", targetIds.Select(i => c.Param(i)))})";
        if (spec.Param is not null) where += $" AND ref.param = {c.ParamId(spec.Param)}";
        var select = $"""
            SELECT DISTINCT {Columns} FROM idx_reference ref
            JOIN resource r ON r.rid = ref.rid AND r.type = {c.Param(spec.SourceType)} AND r.deleted = 0
            JOIN version v ON v.rid = r.rid AND v.version = r.version
            WHERE {where}
            """;
        return new CompiledSearch(select, "", c._parameters);
    }

    private string Param(object? value)
    {
        var name = "$p" + _parameters.Count;
        _parameters.Add(new SqliteParameter(name, value ?? DBNull.Value));
        return name;
    }

    private string Predicate(SearchExpression e, string alias) => e switch
    {
        AllOf all => Conjunction(all.Operands, alias),
        AnyOf any when Alternatives(any).All(IsValueCondition) =>
            $"{alias}.rid IN ({string.Join(" UNION ALL ", Alternatives(any).Select(o => $"SELECT rid FROM {Table(o)} WHERE {Row(o)}"))})",
        AnyOf any => "(" + string.Join(" OR ", any.Operands.Select(o => Predicate(o, alias))) + ")",
        Not not => $"NOT {Predicate(not.Operand, alias)}",
        IdCondition id => $"{alias}.id IN ({string.Join(", ", id.Ids.Select(i => Param(i)))})",
        TypeCondition t => $"{alias}.type = {Param(t.Type)}",
        LastUpdatedCondition lu => Range($"{alias}.last_updated", $"{alias}.last_updated", lu.Comparator, lu.Start, lu.End),
        MissingCondition m => $"{alias}.rid {(m.Missing ? "NOT IN" : "IN")} (SELECT rid FROM {SqliteSchema.TableFor(m.Kind)} WHERE param = {ParamId(m.Param)})",
        ChainCondition chain => Chain(chain, alias),
        ReverseChainCondition has => ReverseChain(has, alias),
        DateCondition { Comparator: Comparator.Ne } d => $"NOT {Predicate(d with { Comparator = Comparator.Eq }, alias)}",
        NumberCondition { Comparator: Comparator.Ne } n => $"NOT {Predicate(n with { Comparator = Comparator.Eq }, alias)}",
        _ => $"{alias}.rid IN (SELECT rid FROM {Table(e)} WHERE {Row(e)})",
    };

    /// <summary>
    /// The operands of an OR, nested ORs flattened. When all are index lookups, one IN over their union lets SQLite read
    /// just the matching rows; an OR of separate IN tests makes it visit every resource of the type (a page of members'
    /// compartments, 64 × 2 reference conditions, went from ~90 ms to ~10 ms on 90,000 Observations).
    /// </summary>
    private static IEnumerable<SearchExpression> Alternatives(AnyOf any) =>
        any.Operands.SelectMany(o => o is AnyOf nested ? Alternatives(nested) : [o]);

    /// <summary>
    /// AND of conditions. Without statistics SQLite cannot tell which index lookup is the selective one, so we say:
    /// the most selective-looking value condition drives (rid IN …), every other is checked per candidate row with
    /// EXISTS on the rid index, which costs one index probe instead of materialising a large set.
    /// </summary>
    private string Conjunction(IReadOnlyList<SearchExpression> operands, string alias)
    {
        var driver = operands.Where(IsValueCondition).OrderBy(Selectivity).FirstOrDefault();
        return "(" + string.Join(" AND ", operands.Select(o =>
            o == driver || !IsValueCondition(o)
                ? Predicate(o, alias)
                : $"EXISTS (SELECT 1 FROM {Table(o)} WHERE {Row(o)} AND rid = {alias}.rid)")) + ")";
    }

    private static bool IsValueCondition(SearchExpression e) =>
        e is StringCondition or TokenCondition or TokenTextCondition or ReferenceCondition or UriCondition or CompositeCondition
        || e is DateCondition { Comparator: not Comparator.Ne } || e is NumberCondition { Comparator: not Comparator.Ne };

    /// <summary>A guess at how few rows a condition selects (lower: fewer), from what FHIR data usually looks like.</summary>
    private static int Selectivity(SearchExpression e) => e switch
    {
        ReferenceCondition { TargetId: not null } => 0,
        TokenCondition { System: not null, Code: not null } or UriCondition { Match: UriMatch.Exact } => 1,
        StringCondition { Match: StringMatch.Exact } => 2,
        TokenCondition { Code: not null } or CompositeCondition => 3,
        StringCondition { Match: StringMatch.StartsWith } or ReferenceCondition => 4,
        DateCondition { Comparator: Comparator.Eq } or NumberCondition { Comparator: Comparator.Eq } => 5,
        _ => 6,
    };

    private static string Table(SearchExpression e) => e switch
    {
        StringCondition => "idx_string",
        TokenCondition or TokenTextCondition => "idx_token",
        ReferenceCondition => "idx_reference",
        DateCondition => "idx_date",
        NumberCondition => "idx_number",
        UriCondition => "idx_uri",
        CompositeCondition => "idx_composite",
        _ => throw new NotSupportedException($"No index table for {e.GetType().Name}"),
    };

    /// <summary>The row condition inside an index table for one value condition.</summary>
    private string Row(SearchExpression e) => e switch
    {
        StringCondition { Match: StringMatch.StartsWith } s =>
            $"param = {ParamId(s.Param)} AND norm >= {Param(s.Value)} AND norm < {Param(s.Value + '\uffff')}",
        StringCondition { Match: StringMatch.Exact } s =>
            $"param = {ParamId(s.Param)} AND norm = {Param(Search.Parameters.StringParameter.Normalize(s.Value))} AND exact = {Param(s.Value)}",
        StringCondition s => $"param = {ParamId(s.Param)} AND norm LIKE {Param("%" + EscapeLike(s.Value) + "%")} ESCAPE '\\'",
        TokenCondition t => TokenRow(t),
        TokenTextCondition t => $"param = {ParamId(t.Param)} AND text LIKE {Param("%" + EscapeLike(t.Value) + "%")} ESCAPE '\\'",
        ReferenceCondition { Url: { } url } r => $"param = {ParamId(r.Param)} AND url = {Param(url)}",
        ReferenceCondition r => $"param = {ParamId(r.Param)} AND target_id = {Param(r.TargetId)}"
                                 + (r.TargetType is null ? "" : $" AND target_type = {Param(r.TargetType)}"),
        DateCondition d => $"param = {ParamId(d.Param)} AND " + Range("start", "end", d.Comparator, d.Start, d.End),
        NumberCondition n => NumberRow(n, "value", "low", "high", "system", "code"),
        CompositeCondition c => CompositeRow(c),
        UriCondition { Match: UriMatch.Exact } u => $"param = {ParamId(u.Param)} AND value = {Param(u.Value)}",
        // Case-sensitive, as uri matching must be: ranges and substr, not LIKE (which ignores ASCII case).
        UriCondition { Match: UriMatch.Below } u => UriBelow(u),
        UriCondition u => $"param = {ParamId(u.Param)} AND ({Param(u.Value)} = value OR substr({Param(u.Value)}, 1, length(value) + 1) = value || '/')",
        _ => throw new NotSupportedException($"Unsupported search condition {e.GetType().Name}"),
    };

    /// <summary>The uri itself, or anything under it as a path: [v + "/", v + "0"), '0' being the character after '/'.</summary>
    private string UriBelow(UriCondition u)
    {
        var root = u.Value.TrimEnd('/');
        return $"param = {ParamId(u.Param)} AND (value = {Param(u.Value)} OR (value >= {Param(root + "/")} AND value < {Param(root + "0")}))";
    }

    private string TokenRow(TokenCondition t)
    {
        var sql = new StringBuilder($"param = {ParamId(t.Param)}");
        if (t.Code is not null) sql.Append($" AND code = {Param(t.Code)}");
        if (t.System is { Length: 0 }) sql.Append(" AND system = ''");
        else if (t.System is not null) sql.Append($" AND system = {Param(t.System)}");
        return sql.ToString();
    }

    private string CompositeRow(CompositeCondition c)
    {
        var sql = new StringBuilder($"param = {ParamId(c.Param)}");
        if (c.FirstCode is not null) sql.Append($" AND a_code = {Param(c.FirstCode)}");
        if (c.FirstSystem is { Length: 0 }) sql.Append(" AND a_system IS NULL");
        else if (c.FirstSystem is not null) sql.Append($" AND a_system = {Param(c.FirstSystem)}");
        sql.Append(" AND ").Append(c.Second switch
        {
            TokenCondition t => (t.Code is null ? "1 = 1" : $"b_code = {Param(t.Code)}")
                                + (t.System is { Length: 0 } ? " AND b_system IS NULL" : t.System is null ? "" : $" AND b_system = {Param(t.System)}"),
            NumberCondition n => NumberRow(n, "b_low", "b_low", "b_high", "b_system", "b_code", withParam: false),
            DateCondition d => Range("b_low", "b_high", d.Comparator, d.Start, d.End),
            StringCondition s => $"b_text >= {Param(s.Value)} AND b_text < {Param(s.Value + '\uffff')}",
            _ => throw new NotSupportedException($"Unsupported composite component {c.Second.GetType().Name}"),
        });
        return sql.ToString();
    }

    private string NumberRow(NumberCondition n, string value, string low, string high, string system, string code, bool withParam = true) =>
        (withParam ? $"param = {ParamId(n.Param)} AND " : "") + RangePredicate.OfNumber(n, low, high, system, code, v => Param(v));

    private string Range(string start, string end, Comparator c, long ps, long pe) => RangePredicate.Of(start, end, c, ps, pe, t => Param(t));

    private string Chain(ChainCondition chain, string alias)
    {
        var t = "c" + _aliases++;
        return $"""
            {alias}.rid IN (SELECT ref.rid FROM idx_reference ref JOIN resource {t} ON {t}.type = {Param(chain.TargetType)} AND {t}.id = ref.target_id
            WHERE ref.param = {ParamId(chain.Param)} AND ref.target_type = {t}.type AND {t}.deleted = 0
            AND {Predicate(chain.Target, t)})
            """;
    }

    private string ReverseChain(ReverseChainCondition has, string alias)
    {
        var s = "h" + _aliases++;
        return $"""
            EXISTS (SELECT 1 FROM idx_reference ref JOIN resource {s} ON {s}.rid = ref.rid
            WHERE ref.param = {ParamId(has.Param)} AND ref.target_type = {alias}.type AND ref.target_id = {alias}.id
            AND {s}.type = {Param(has.SourceType)} AND {s}.deleted = 0 AND {Predicate(has.Source, s)})
            """;
    }

    /// <summary>The sort keys as SQL expressions on r, always ending with the rowid so the order is total.</summary>
    private List<(string Expr, bool Descending)> SortKeys(IReadOnlyList<SortKey> sort)
    {
        var keys = new List<(string, bool)>();
        foreach (var k in sort)
        {
            var agg = k.Descending ? "MAX" : "MIN";
            var expr = k.Param switch
            {
                "_id" => "r.id",
                "_lastUpdated" => "r.last_updated",
                _ => k.Kind switch
                {
                    IndexKind.String => $"(SELECT {agg}(norm) FROM idx_string WHERE rid = r.rid AND param = {ParamId(k.Param)})",
                    IndexKind.Token => $"(SELECT {agg}(code) FROM idx_token WHERE rid = r.rid AND param = {ParamId(k.Param)})",
                    IndexKind.Date => $"(SELECT {(k.Descending ? "MAX(end)" : "MIN(start)")} FROM idx_date WHERE rid = r.rid AND param = {ParamId(k.Param)})",
                    IndexKind.Number => $"(SELECT {agg}(value) FROM idx_number WHERE rid = r.rid AND param = {ParamId(k.Param)})",
                    _ => $"(SELECT {agg}(value) FROM idx_uri WHERE rid = r.rid AND param = {ParamId(k.Param)})",
                },
            };
            keys.Add((expr, k.Descending));
        }
        keys.Add(("r.rid", false));
        return keys;
    }

    private string ParamId(string indexKey) => Param(SqliteSchema.ParamId(indexKey));

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
