namespace FhirCare.FhirFacade.Search;

/// <summary>Which index table a search parameter's values live in.</summary>
public enum IndexKind { String, Token, Reference, Date, Number, Uri, Composite }

/// <summary>
/// One value extracted from a resource for one search parameter, written with the resource in the same transaction.
/// <c>Param</c> is the index key "Type.code".
/// </summary>
public abstract record IndexValue(string Param)
{
    public abstract IndexKind Kind { get; }
}

/// <param name="Normalized">Lower case without accents, for the default and :contains matches.</param>
public sealed record StringIndexValue(string Param, string Normalized, string Exact) : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.String;
}

/// <param name="Text">Normalised display text, for :text.</param>
public sealed record TokenIndexValue(string Param, string? System, string? Code, string? Text) : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.Token;
}

public sealed record ReferenceIndexValue(string Param, string? TargetType, string? TargetId, string? Url) : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.Reference;
}

/// <summary>A date, dateTime, instant, Period or Timing event as a closed range of UTC ticks.</summary>
public sealed record DateIndexValue(string Param, long Start, long End) : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.Date;
}

/// <summary>A number or quantity; Low/High is the range its precision implies.</summary>
public sealed record NumberIndexValue(string Param, decimal Value, decimal Low, decimal High, string? System, string? Code)
    : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.Number;
}

public sealed record UriIndexValue(string Param, string Value) : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.Uri;
}

/// <summary>
/// A composite's pair of values taken from one node (e.g. one Observation.component): a token, and a second value
/// that is a token, number/quantity, date or string index value (its own Param is unused).
/// </summary>
public sealed record CompositeIndexValue(string Param, string? FirstSystem, string? FirstCode, IndexValue Second) : IndexValue(Param)
{
    public override IndexKind Kind => IndexKind.Composite;
}
