using System.Globalization;
using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>
/// Number and quantity search (search.html#number, #quantity): prefixes, implicit precision ranges
/// ("100" matches [99.5, 100.5)), and for quantities an optional system|code unit.
/// </summary>
public static class NumberParameter
{
    public const string CurrencySystem = "urn:iso:std:iso:4217";

    public static void Extract(string param, Base value, List<IndexValue> into)
    {
        switch (value)
        {
            case Quantity q when q.Value is { } v:
                // value||unit matches the coded unit or the human one (search.html#quantity): a row for each.
                into.Add(new NumberIndexValue(param, v, v, v, q.System, q.Code ?? q.Unit));
                if (q.Code is not null && q.Unit is not null && q.Unit != q.Code) into.Add(new NumberIndexValue(param, v, v, v, null, q.Unit));
                break;
            case Money m when m.Value is { } amount:
                // Money searches as a quantity whose unit is the ISO 4217 currency (search.html#quantity).
                into.Add(new NumberIndexValue(param, amount, amount, amount, m.CurrencyElement is null ? null : CurrencySystem, m.CurrencyElement?.ObjectValue as string));
                break;
            case Hl7.Fhir.Model.Range r:
                var low = r.Low?.Value ?? decimal.MinValue;
                var high = r.High?.Value ?? decimal.MaxValue;
                if (r.Low?.Value is not null || r.High?.Value is not null)
                    into.Add(new NumberIndexValue(param, low, low, high, r.Low?.System ?? r.High?.System, r.Low?.Code ?? r.High?.Code));
                break;
            case FhirDecimal { Value: { } d }:
                into.Add(new NumberIndexValue(param, d, d, d, null, null));
                break;
            case Integer { Value: { } i }:
                into.Add(new NumberIndexValue(param, i, i, i, null, null));
                break;
            case PositiveInt { Value: { } p }:
                into.Add(new NumberIndexValue(param, p, p, p, null, null));
                break;
            case UnsignedInt { Value: { } u }:
                into.Add(new NumberIndexValue(param, u, u, u, null, null));
                break;
        }
    }

    public static SearchExpression Parse(string param, string? modifier, string value, bool quantity)
    {
        if (modifier is not null) throw new SearchParseException($"The modifier ':{modifier}' is not supported on {(quantity ? "quantity" : "number")} parameters");
        var (comparator, rest) = Prefix.Split(value);
        string? system = null, code = null;
        if (quantity)
        {
            var parts = rest.Split('|');
            if (parts.Length is 2 or > 3) throw new SearchParseException($"'{value}' is not a quantity search value ([prefix]number|system|code)");
            rest = parts[0];
            if (parts.Length == 3)
            {
                system = parts[1].Length == 0 ? null : parts[1];
                code = parts[2].Length == 0 ? null : parts[2];
            }
        }
        if (!decimal.TryParse(rest, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var number))
            throw new SearchParseException($"'{value}' is not a valid number");
        var half = HalfUnitOfPrecision(rest);
        return new NumberCondition(param, comparator, number, number - half, number + half, system, code);
    }

    /// <summary>Half of the last significant digit's unit: "100" → 0.5, "1.50" → 0.005, "1e2" → 50.</summary>
    private static decimal HalfUnitOfPrecision(string literal)
    {
        var e = literal.IndexOfAny(['e', 'E']);
        var mantissa = e >= 0 ? literal[..e] : literal;
        var exponent = e >= 0 ? int.Parse(literal[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var decimals = dot >= 0 ? mantissa.Length - dot - 1 : 0;
        var scale = decimals - exponent;
        decimal unit = 1m;
        for (int i = 0; i < Math.Abs(scale); i++) unit = scale > 0 ? unit / 10 : unit * 10;
        return unit / 2;
    }
}
