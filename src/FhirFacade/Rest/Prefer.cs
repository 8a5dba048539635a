namespace FhirCare.FhirFacade.Rest;

public enum ReturnPreference { Representation, Minimal, OperationOutcome }

/// <summary>The request's Prefer header (http.html#ops): return=… and handling=strict|lenient.</summary>
public readonly record struct Prefer(ReturnPreference Return, bool Strict)
{
    public static Prefer From(HttpRequest request)
    {
        var result = new Prefer(ReturnPreference.Representation, false);
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var raw in (header ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var token = raw.Replace(" ", "");
                result = token switch
                {
                    "return=minimal" => result with { Return = ReturnPreference.Minimal },
                    "return=representation" => result with { Return = ReturnPreference.Representation },
                    "return=OperationOutcome" => result with { Return = ReturnPreference.OperationOutcome },
                    "handling=strict" => result with { Strict = true },
                    "handling=lenient" => result with { Strict = false },
                    _ => result,
                };
            }
        }
        return result;
    }
}
