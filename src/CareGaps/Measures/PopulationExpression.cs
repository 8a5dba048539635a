namespace FhirCare.CareGaps.Measures;

/// <summary>
/// A population's criteria: criterion names combined with <c>and</c>, <c>or</c>, <c>not</c> and parentheses, plus
/// the member facts <c>age(52..74)</c>, <c>age(&gt;=66)</c> (age at the end of the period, as the eCQMs compute it)
/// and <c>gender(female)</c>. Parsed once when the measure is loaded.
/// </summary>
internal abstract record PopulationExpression
{
    public abstract bool Evaluate(MemberFacts facts);

    /// <summary>Criterion names this expression mentions (their evidence becomes the population's evaluated resources).</summary>
    public abstract IEnumerable<string> Names { get; }

    public static PopulationExpression Parse(string text)
    {
        var tokens = Tokenize(text);
        var position = 0;
        var result = ParseOr(tokens, ref position, text);
        if (position != tokens.Count) throw new FormatException($"Population criteria '{text}': unexpected '{tokens[position]}'");
        return result;
    }

    private static PopulationExpression ParseOr(List<string> tokens, ref int position, string text)
    {
        var left = ParseAnd(tokens, ref position, text);
        while (position < tokens.Count && tokens[position] == "or")
        {
            position++;
            left = new Either(left, ParseAnd(tokens, ref position, text));
        }
        return left;
    }

    private static PopulationExpression ParseAnd(List<string> tokens, ref int position, string text)
    {
        var left = ParseUnary(tokens, ref position, text);
        while (position < tokens.Count && tokens[position] == "and")
        {
            position++;
            left = new Both(left, ParseUnary(tokens, ref position, text));
        }
        return left;
    }

    private static PopulationExpression ParseUnary(List<string> tokens, ref int position, string text)
    {
        if (position >= tokens.Count) throw new FormatException($"Population criteria '{text}' ends too early");
        var token = tokens[position++];
        switch (token)
        {
            case "not":
                return new Negation(ParseUnary(tokens, ref position, text));
            case "(":
                var inner = ParseOr(tokens, ref position, text);
                if (position >= tokens.Count || tokens[position++] != ")") throw new FormatException($"Population criteria '{text}': missing ')'");
                return inner;
            case var t when t.StartsWith("age(", StringComparison.Ordinal):
                return AgeRange.Parse(t, text);
            case var t when t.StartsWith("gender(", StringComparison.Ordinal):
                return new Gender(t[7..^1]);
            case "and" or "or" or ")":
                throw new FormatException($"Population criteria '{text}': unexpected '{token}'");
            default:
                return new Named(token);
        }
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != ')' && text[i] != '(') i++;
            // age(…) and gender(…) keep their parenthesised argument as one token
            if (i < text.Length && text[i] == '(' && text[start..i] is "age" or "gender")
            {
                var close = text.IndexOf(')', i);
                if (close < 0) throw new FormatException($"Population criteria '{text}': missing ')'");
                i = close + 1;
            }
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private sealed record Named(string Name) : PopulationExpression
    {
        public override bool Evaluate(MemberFacts facts) => facts.Holds(Name);
        public override IEnumerable<string> Names => [Name];
    }

    private sealed record Negation(PopulationExpression Operand) : PopulationExpression
    {
        public override bool Evaluate(MemberFacts facts) => !Operand.Evaluate(facts);
        public override IEnumerable<string> Names => Operand.Names;
    }

    private sealed record Both(PopulationExpression Left, PopulationExpression Right) : PopulationExpression
    {
        public override bool Evaluate(MemberFacts facts) => Left.Evaluate(facts) && Right.Evaluate(facts);
        public override IEnumerable<string> Names => Left.Names.Concat(Right.Names);
    }

    private sealed record Either(PopulationExpression Left, PopulationExpression Right) : PopulationExpression
    {
        public override bool Evaluate(MemberFacts facts) => Left.Evaluate(facts) || Right.Evaluate(facts);
        public override IEnumerable<string> Names => Left.Names.Concat(Right.Names);
    }

    private sealed record Gender(string Code) : PopulationExpression
    {
        public override bool Evaluate(MemberFacts facts) => facts.Gender == Code;
        public override IEnumerable<string> Names => [];
    }

    private sealed record AgeRange(int Minimum, int Maximum) : PopulationExpression
    {
        public override bool Evaluate(MemberFacts facts) => facts.AgeAtEnd is { } age && age >= Minimum && age <= Maximum;
        public override IEnumerable<string> Names => [];

        /// <summary>age(52..74) or age(>=66).</summary>
        public static AgeRange Parse(string token, string text)
        {
            var argument = token[4..^1];
            if (argument.StartsWith(">=", StringComparison.Ordinal) && int.TryParse(argument[2..], out var min)) return new AgeRange(min, int.MaxValue);
            var parts = argument.Split("..");
            if (parts.Length == 2 && int.TryParse(parts[0], out var low) && int.TryParse(parts[1], out var high) && low <= high) return new AgeRange(low, high);
            throw new FormatException($"Population criteria '{text}': '{token}' is not age(low..high) or age(>=n)");
        }
    }
}
