namespace FhirCare.CareGaps.Measures;

/// <summary>Da Vinci DEQM gaps-status codes (http://hl7.org/fhir/us/davinci-deqm/CodeSystem/gaps-status).</summary>
public enum GapStatus { OpenGap, ClosedGap, ProspectiveGap, NotApplicable }

public static class GapStatusCodes
{
    public const string System = "http://hl7.org/fhir/us/davinci-deqm/CodeSystem/gaps-status";

    public static string Code(this GapStatus status) => status switch
    {
        GapStatus.OpenGap => "open-gap",
        GapStatus.ClosedGap => "closed-gap",
        GapStatus.ProspectiveGap => "prospective-gap",
        _ => "not-applicable",
    };

    public static GapStatus? Parse(string code) => code switch
    {
        "open-gap" => GapStatus.OpenGap,
        "closed-gap" => GapStatus.ClosedGap,
        "prospective-gap" => GapStatus.ProspectiveGap,
        "not-applicable" => GapStatus.NotApplicable,
        _ => null,
    };
}
