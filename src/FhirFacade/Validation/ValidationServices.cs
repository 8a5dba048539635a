using FhirCare.FhirFacade.Guide;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Validation;

/// <summary>DI wiring for validation, and a background warm-up so the first write does not pay for loading definitions.</summary>
public static class ValidationServices
{
    public static void AddValidation(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ValidationOptions>(config.GetSection("Validation"));
        services.AddSingleton(sp => new ConformanceResources(sp.GetRequiredService<ProfilesFolder>()));
        services.AddSingleton<Definitions>();
        services.AddSingleton<Invariants>();
        services.AddSingleton<Terminology>();
        services.AddSingleton(sp => new StructureValidator(sp.GetRequiredService<Definitions>(), sp.GetRequiredService<Invariants>(),
            sp.GetRequiredService<Terminology>(), ResourceValidator.CanonicalBase));
        services.AddSingleton<ResourceValidator>();
        services.AddHostedService<ValidationWarmUp>();
    }
}

/// <summary>
/// Once the server has started (so start-up does not compete with it for CPU), validates a few small resources so the
/// definitions index, the common data types and the compiled core invariants are ready before the first write asks
/// for them. A write that comes earlier simply loads what it needs itself.
/// </summary>
public sealed class ValidationWarmUp(ResourceValidator validator, IHostApplicationLifetime lifetime, ILogger<ValidationWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (validator.Mode == ValidationMode.Off) return;
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (ct.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; }
            catch (OperationCanceledException) { return; }
        }
        await System.Threading.Tasks.Task.Run(() => WarmUp(ct), ct);
    }

    private void WarmUp(CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            Resource[] samples =
            [
                new Patient { Name = [new HumanName { Family = "Warm" }], Gender = AdministrativeGender.Unknown },
                new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4") },
            ];
            foreach (var sample in samples)
            {
                ct.ThrowIfCancellationRequested();
                validator.Validate(sample, ValidationMode.Profiles, null);
            }
            logger.LogInformation("Validation ready ({Mode}) in {Ms} ms", validator.Mode, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Validation warm-up failed");
        }
    }
}
