namespace FhirCare.FhirFacade.Search.Expressions;

/// <summary>
/// A storage-neutral search condition over one resource type. The query parser builds these trees; each store
/// compiles them into its own query language (see Storage/Sqlite/SqliteSearchCompiler.cs). Callers outside the
/// query string (authorization, compartments) add conditions by wrapping the tree in an <see cref="AllOf"/>.
/// <c>Param</c> is always the index key "Type.code" (see <see cref="SearchParameterDefinition.IndexKey"/>).
/// </summary>
public abstract record SearchExpression;

public sealed record AllOf(IReadOnlyList<SearchExpression> Operands) : SearchExpression;

public sealed record AnyOf(IReadOnlyList<SearchExpression> Operands) : SearchExpression;

/// <summary>Resources for which <paramref name="Operand"/> does not hold (token <c>:not</c>, <c>ne</c>).</summary>
public sealed record Not(SearchExpression Operand) : SearchExpression;

public enum StringMatch { StartsWith, Exact, Contains }

/// <summary>String parameters: <paramref name="Value"/> is normalised (lower case, no accents) except for Exact.</summary>
public sealed record StringCondition(string Param, StringMatch Match, string Value) : SearchExpression;

/// <summary>Token: a null <paramref name="System"/> matches any system; an empty one matches "no system".</summary>
public sealed record TokenCondition(string Param, string? System, string? Code) : SearchExpression;

/// <summary>
/// Token <c>:in</c>: the code is in the ValueSet with this canonical URL. Stores never see it: it is replaced by
/// the ValueSet's codes (<see cref="ValueSetExpansion"/>) before the query reaches them.
/// </summary>
public sealed record ValueSetCondition(string Param, string ValueSetUrl) : SearchExpression;

/// <summary>Token <c>:text</c>: matches the normalised display/text of the coding or concept.</summary>
public sealed record TokenTextCondition(string Param, string Value) : SearchExpression;

/// <summary>A reference to TargetType/TargetId (TargetType null: any type), or to an absolute URL.</summary>
public sealed record ReferenceCondition(string Param, string? TargetType, string? TargetId, string? Url) : SearchExpression;

public enum Comparator { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap }

/// <summary>Dates as closed ranges of UTC ticks: the search value's implicit range [Start, End].</summary>
public sealed record DateCondition(string Param, Comparator Comparator, long Start, long End) : SearchExpression;

/// <summary>Numbers and quantities as ranges given by the value's precision; System/Code narrow a quantity's unit.</summary>
public sealed record NumberCondition(
    string Param, Comparator Comparator, decimal Value, decimal Low, decimal High, string? System, string? Code)
    : SearchExpression;

public enum UriMatch { Exact, Below, Above }

public sealed record UriCondition(string Param, UriMatch Match, string Value) : SearchExpression;

/// <summary><c>:missing</c>: whether the resource has any index value for <paramref name="Param"/>.</summary>
public sealed record MissingCondition(string Param, IndexKind Kind, bool Missing) : SearchExpression;

public sealed record IdCondition(IReadOnlyList<string> Ids) : SearchExpression;

/// <summary>The resource is of this type (system-level searches over several types).</summary>
public sealed record TypeCondition(string Type) : SearchExpression;

public sealed record LastUpdatedCondition(Comparator Comparator, long Start, long End) : SearchExpression;

/// <summary>Composite: a token (FirstSystem/FirstCode as in <see cref="TokenCondition"/>) and a second condition, on the same node.</summary>
public sealed record CompositeCondition(string Param, string? FirstSystem, string? FirstCode, SearchExpression Second) : SearchExpression;

/// <summary>Chaining: the resource references (through <paramref name="Param"/>) a <paramref name="TargetType"/> matching <paramref name="Target"/>.</summary>
public sealed record ChainCondition(string Param, string TargetType, SearchExpression Target) : SearchExpression;

/// <summary>Reverse chaining (<c>_has</c>): some <paramref name="SourceType"/> referencing this resource through <paramref name="Param"/> matches <paramref name="Source"/>.</summary>
public sealed record ReverseChainCondition(string SourceType, string Param, SearchExpression Source) : SearchExpression;
