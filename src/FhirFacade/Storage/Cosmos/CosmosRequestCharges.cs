using System.Diagnostics.Metrics;
using Microsoft.Azure.Cosmos;

namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>
/// The request-unit cost of every Cosmos DB call: logged at Debug and recorded on the meter
/// <see cref="MeterName"/> (histogram <c>fhircare.cosmos.request_charge</c>, tag <c>operation</c>), which
/// OpenTelemetry or <c>dotnet-counters</c> can read.
/// </summary>
public sealed class CosmosRequestCharges(ILogger<CosmosRequestCharges> logger)
{
    public const string MeterName = "FhirCare.Storage.Cosmos";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> Charge = Meter.CreateHistogram<double>(
        "fhircare.cosmos.request_charge", "RU", "Request units charged by Azure Cosmos DB per call");

    public void Record(string operation, ResponseMessage response) => Record(operation, response.Headers.RequestCharge, (int)response.StatusCode);

    public void Record(string operation, double charge, int status)
    {
        Charge.Record(charge, new KeyValuePair<string, object?>("operation", operation));
        logger.LogDebug("Cosmos {Operation}: {Status}, {Charge} RU", operation, status, charge);
    }
}
