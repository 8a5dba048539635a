using FhirCare.FhirFacade.Audit;
using FhirCare.FhirFacade.Export;
using FhirCare.FhirFacade.Guide;
using FhirCare.FhirFacade.Limits;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Outreach;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Rest.Transactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Storage.Cosmos;
using FhirCare.FhirFacade.Storage.Sqlite;
using FhirCare.FhirFacade.Validation;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FhirCare.FhirFacade;

/// <summary>Host wiring: configuration, services and the middleware pipeline. Nothing else lives here.</summary>
public static class Hosting
{
    public const string DefaultUrl = "http://localhost:8080";

    public static void AddFhirCare(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(config["HTTP_PORTS"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var services = builder.Services;
        services.Configure<FhirOptions>(config.GetSection("Fhir"));
        services.Configure<SearchOptions>(config.GetSection("Search"));
        services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SearchOptions>>().Value);
        var maxBytes = Math.Max(config.GetValue<long?>("Fhir:MaxRequestBytes") ?? new FhirOptions().MaxRequestBytes,
            config.GetValue<long?>("Fhir:MaxBundleBytes") ?? new FhirOptions().MaxBundleBytes);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxBytes + 1);

        var provider = config["Storage:Provider"] ?? "Sqlite";
        switch (provider)
        {
            case "Sqlite":
                services.Configure<SqliteOptions>(config.GetSection("Storage:Sqlite"));
                services.AddSingleton<SqliteFhirStore>();
                services.AddSingleton<IExportJobStore, SqliteExportJobStore>();
                services.AddSingleton<Func<IServiceProvider, IFhirStore>>(sp => sp.GetRequiredService<SqliteFhirStore>());
                break;
            case "Cosmos":
                services.Configure<CosmosOptions>(config.GetSection("Storage:Cosmos"));
                services.AddSingleton<CosmosRequestCharges>();
                services.AddSingleton<CosmosFhirStore>();
                services.AddSingleton<Func<IServiceProvider, IFhirStore>>(sp => sp.GetRequiredService<CosmosFhirStore>());
                services.AddSingleton<IExportJobStore, CosmosExportJobStore>();
                // Several servers share one account, so a resource cache in one would serve versions another replaced.
                if (config["Storage:Cache:MaxBytes"] is null) services.PostConfigure<ResourceCacheOptions>(c => c.MaxBytes = 0);
                break;
            default:
                throw new InvalidOperationException($"Storage:Provider '{provider}' is not supported; use Sqlite or Cosmos");
        }

        services.Configure<ResourceCacheOptions>(config.GetSection("Storage:Cache"));
        services.AddSingleton<IFhirStore>(sp =>
        {
            var backend = sp.GetRequiredService<Func<IServiceProvider, IFhirStore>>()(sp);
            var cache = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ResourceCacheOptions>>().Value;
            return cache.MaxBytes > 0 ? new CachedFhirStore(backend, cache.MaxBytes) : backend;
        });
        services.AddSingleton(TimeProvider.System);
        var profiles = config["Search:ProfilesPath"] is { Length: > 0 } path ? path : Path.Combine(AppContext.BaseDirectory, "profiles");
        services.AddSingleton(new ProfilesFolder(profiles));
        services.AddSingleton(_ => new SearchParameterRegistry(SearchParameterFiles.Load(profiles)));
        services.AddSingleton<Reindexer>();
        services.AddHostedService(sp => sp.GetRequiredService<Reindexer>());
        services.AddHostedService<GuidePublisher>();
        services.AddSingleton<IndexExtractor>();
        services.AddSingleton<SearchQueryParser>();
        services.AddSingleton<Compartments>();
        services.AddSingleton<ValueSetExpansion>();
        services.AddSingleton<ResourceBody>();
        services.AddSingleton<VersionedWrites>();
        services.AddSingleton<ConditionalMatch>();
        services.AddSingleton<BaseUrl>();
        services.AddSingleton<Capabilities>();
        services.AddSingleton<BundleProcessor>();
        services.AddSingleton<PatientRecords>();
        services.AddSingleton<FhirCare.FhirFacade.Rest.Operations.CareDates>();
        services.Configure<ExportOptions>(config.GetSection("Export"));
        services.PostConfigure<ExportOptions>(o => o.OutputPath = Path.GetFullPath(o.OutputPath is { Length: > 0 } path ? path
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(config["Storage:Sqlite:Path"] ?? new SqliteOptions().Path))!, "export")));
        services.AddSingleton<ExportRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ExportRunner>());
        services.AddValidation(config);
        services.AddSingleton<MeasureLoader>();
        services.AddSingleton<MemberRecords>();
        services.AddSingleton<MemberEvaluation>();
        services.AddSingleton<MeasureOperations>();
        services.AddAudit(config);
        services.AddFhirRateLimits(config);
        services.AddBrowserAccess(config);
        builder.Logging.AddLogHygiene();
        services.AddOutreach(config);

        builder.AddFhirSecurity();
        services.AddProblemDetails();
        services.AddExceptionHandler<UnexpectedExceptionHandler>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o => o.SwaggerDoc("v1", new() { Title = "FhirCare FHIR R4 API", Version = "v1" }));
    }

    public static void UseFhirCare(this WebApplication app)
    {
        app.UseBrowserAccess();
        app.UseSecurityHeaders();
        app.UseAudit();
        app.UseSwagger();
        app.UseSwaggerUI();
        app.UseFhirSecurity(); // before the rate limiter, which partitions by the authenticated client
        app.UseFhirRateLimits();
        app.UseFhirErrors();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") });
        app.MapFhir();
        // Build the registry (parses ~1,500 parameter expressions into POCO paths) before the first request, not during it.
        app.Services.GetRequiredService<SearchParameterRegistry>();
        app.Services.GetRequiredService<IFhirStore>();
    }
}

/// <summary>Ready when the store answers a query; degraded (still 200) while some types are being re-indexed.</summary>
public sealed class StoreHealthCheck(IFhirStore store, Reindexer reindexer) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            if (!await store.IsReadyAsync(ct)) return HealthCheckResult.Unhealthy("The store did not answer");
            var pending = reindexer.Pending;
            return pending.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Degraded($"Re-indexing for changed search parameters: {string.Join(", ", pending.Order())}");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("The store failed", e);
        }
    }
}
