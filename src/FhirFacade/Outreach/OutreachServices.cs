using FhirCare.CareGaps.Outreach;
using FhirCare.CareGaps.Trust;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>Configuration section <c>Outreach</c> (docs/outreach.md "Configuration").</summary>
public sealed class OutreachOptions
{
    /// <summary>Who gets the Task of a gap: rules by risk tier, measure and member condition, and a default owner.</summary>
    public TaskAssignment Assignment { get; set; } = new();

    /// <summary>The thresholds of the trust-stage rule set.</summary>
    public TrustRules Trust { get; set; } = new();
}

public static class OutreachServices
{
    public static void AddOutreach(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<OutreachOptions>(config.GetSection("Outreach"));
        services.AddSingleton<WriteRules>();
        services.AddSingleton<OutreachRecords>();
        services.AddSingleton<OutreachOperations>();
    }
}

/// <summary>What the outreach operations share, resolved once by DI; the options are checked when first used.</summary>
public sealed class OutreachOperations(
    OutreachRecords records, MeasureOperations measures, VersionedWrites writes, ConditionalMatch conditional,
    WriteRules rules, IOptions<OutreachOptions> options)
{
    public OutreachRecords Records => records;
    public MeasureOperations Measures => measures;
    public VersionedWrites Writes => writes;
    public ConditionalMatch Conditional => conditional;
    public WriteRules Rules => rules;

    public OutreachOptions Options
    {
        get
        {
            var value = options.Value;
            var problems = value.Assignment.Problems().ToList();
            if (problems.Count > 0)
                throw FhirException.Of(500, OperationOutcome.IssueType.Exception, "The server's outreach configuration is invalid: " + string.Join("; ", problems));
            return value;
        }
    }

    /// <summary>The plan Organization that performs assessments and reports (CareGaps:ReportingOrganization).</summary>
    public Task<Organization> PlanAsync(IFhirStore store, CancellationToken ct) => measures.ReporterAsync(store, ct);
}
