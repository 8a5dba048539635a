using System.Globalization;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// Reads one declared criterion (a Measure's <c>measure-criterion</c> extension; grammar in docs/measures.md):
/// <code>name: Type in ValueSet/a, ValueSet/b [status s1|s2] [from start-9y] [to end] [latest] [where test and test] [at-age >= 21]</code>
/// ValueSet references without a scheme are resolved against the Measure's canonical base.
/// </summary>
internal static class CriterionText
{
    private static readonly HashSet<string> Types =
        ["Encounter", "Condition", "Procedure", "Observation", "DiagnosticReport", "Immunization", "MedicationRequest", "MedicationStatement"];

    public static Criterion Parse(string text, string canonicalBase)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0) throw Error(text, "expected 'name: Type in ValueSet/…'");
        var name = text[..colon].Trim();
        var words = new Queue<string>(text[(colon + 1)..].Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        var type = Take(words, text, "a resource type");
        if (!Types.Contains(type)) throw Error(text, $"'{type}' is not a resource type evidence can come from ({string.Join(", ", Types)})");
        if (Take(words, text, "'in'") != "in") throw Error(text, "expected 'in' after the resource type");

        var valueSets = new List<string>();
        while (words.Count > 0 && !Keywords.Contains(words.Peek()))
            valueSets.AddRange(words.Dequeue().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => Canonical(v, canonicalBase)));
        if (valueSets.Count == 0) throw Error(text, "names no ValueSet");

        string[] statuses = [];
        WindowAnchor? from = null, to = null;
        var latest = false;
        var tests = new List<EvidenceTest>();
        int? minimumAge = null;
        while (words.Count > 0)
        {
            var keyword = words.Dequeue();
            switch (keyword)
            {
                case "status":
                    statuses = Take(words, text, "statuses").Split('|');
                    break;
                case "from":
                    from = Anchor(Take(words, text, "a window anchor"), text);
                    break;
                case "to":
                    to = Anchor(Take(words, text, "a window anchor"), text);
                    break;
                case "latest":
                    latest = true;
                    break;
                case "where":
                    do tests.Add(Test(words, text, canonicalBase));
                    while (words.Count > 0 && words.Peek() == "and" && words.Dequeue() is not null);
                    break;
                case "at-age":
                    if (Take(words, text, "'>='") != ">=" || !int.TryParse(Take(words, text, "an age"), out var age))
                        throw Error(text, "at-age takes '>= N'");
                    minimumAge = age;
                    break;
                default:
                    throw Error(text, $"unexpected '{keyword}'");
            }
        }
        return new Criterion(name, type, valueSets, statuses, from, to, latest, tests, minimumAge);
    }

    private static readonly HashSet<string> Keywords = ["status", "from", "to", "latest", "where", "at-age"];

    private static EvidenceTest Test(Queue<string> words, string text, string canonicalBase)
    {
        var subject = Take(words, text, "'value' or 'component'");
        string? component = null;
        if (subject == "component") component = Take(words, text, "a component code");
        else if (subject != "value") throw Error(text, $"a test starts with 'value' or 'component', not '{subject}'");
        var op = Take(words, text, "a comparison");
        if (op == "missing") return new EvidenceTest(component, Comparison.Missing, 0, null);
        if (op == "in") return new EvidenceTest(component, Comparison.In, 0, Canonical(Take(words, text, "a ValueSet"), canonicalBase));
        var comparison = op switch
        {
            "<" => Comparison.Less, "<=" => Comparison.LessOrEqual, ">" => Comparison.Greater, ">=" => Comparison.GreaterOrEqual,
            _ => throw Error(text, $"unknown comparison '{op}' (use < <= > >= missing in)"),
        };
        var number = Take(words, text, "a number");
        if (!decimal.TryParse(number, NumberStyles.Number, CultureInfo.InvariantCulture, out var limit))
            throw Error(text, $"'{number}' is not a number");
        return new EvidenceTest(component, comparison, limit, null);
    }

    /// <summary>start, end, start-9y, end+6mo, start-15mo, start+6mo-1d: an anchor and any number of signed offsets.</summary>
    private static WindowAnchor Anchor(string word, string text)
    {
        var fromEnd = word.StartsWith("end", StringComparison.Ordinal);
        if (!fromEnd && !word.StartsWith("start", StringComparison.Ordinal)) throw Error(text, $"a window anchor is start or end (±offset), not '{word}'");
        int years = 0, months = 0, days = 0;
        var i = fromEnd ? 3 : 5;
        while (i < word.Length)
        {
            var sign = word[i] switch { '+' => 1, '-' => -1, _ => throw Error(text, $"bad offset in '{word}' (e.g. start-9y, end+6mo, start+6mo-1d)") };
            var digits = ++i;
            while (i < word.Length && char.IsAsciiDigit(word[i])) i++;
            if (i == digits) throw Error(text, $"bad offset in '{word}': a number must follow the sign");
            var n = sign * int.Parse(word.AsSpan(digits, i - digits), CultureInfo.InvariantCulture);
            if (word.AsSpan(i).StartsWith("mo")) { months += n; i += 2; }
            else if (i < word.Length && word[i] == 'y') { years += n; i++; }
            else if (i < word.Length && word[i] == 'd') { days += n; i++; }
            else throw Error(text, $"unknown unit in '{word}' (y, mo, d)");
        }
        return new WindowAnchor(fromEnd, years, months, days);
    }

    private static string Canonical(string reference, string canonicalBase) =>
        reference.Contains("://", StringComparison.Ordinal) ? reference : $"{canonicalBase.TrimEnd('/')}/{reference}";

    private static string Take(Queue<string> words, string text, string what) =>
        words.Count > 0 ? words.Dequeue() : throw Error(text, $"ended where {what} was expected");

    private static FormatException Error(string text, string problem) => new($"Criterion '{text}': {problem}");
}
