using System.Diagnostics.Metrics;
using System.Net;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Storage.Cosmos;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCare.FhirFacade.Tests.Storage;

/// <summary>
/// What only the Cosmos store does: keep a member's record in one partition (and refuse what would break that),
/// refuse what it cannot run, and report request charges. Runs on the emulator and on a real account.
/// </summary>
public abstract class CosmosStoreTests<TStore>(TStore store) : StoreTests<TStore>(store) where TStore : StoreFixture
{
    [SkippableFact]
    public async Task The_capability_statement_says_what_the_Cosmos_store_refuses()
    {
        var statement = (await Server.Http().FhirGetAsync("metadata")).As<CapabilityStatement>();
        Assert.Contains("Azure Cosmos DB. _sort is supported on _id or _lastUpdated only", statement.Rest[0].Documentation);
        Assert.Contains("_offset is refused", statement.Rest[0].Documentation);
    }

    [SkippableFact]
    public async Task A_resource_cannot_move_to_another_members_record()
    {
        var system = NewSystem();
        var ann = await CreateAsync(NewPatient(system, "ann", "Mover"));
        var bob = await CreateAsync(NewPatient(system, "bob", "Mover"));
        var obs = await CreateAsync(NewObservation(system, "o", "8480-6", ann.Id, 120));
        obs.Subject = new ResourceReference("Patient/" + bob.Id);
        var moved = await Server.Http().FhirAsync(HttpMethod.Put, $"Observation/{obs.Id}", obs);
        await OutcomeAssert.IsOutcomeAsync(moved.Message, 422, OperationOutcome.IssueType.BusinessRule);
        // Nothing changed
        var stored = (await Server.Http().FhirGetAsync($"Observation/{obs.Id}")).As<Observation>();
        Assert.Equal(("1", $"Patient/{ann.Id}"), (stored.Meta!.VersionId, stored.Subject!.Reference));
        Assert.Equal([obs.Id!], await SearchAllAsync($"Patient/{ann.Id}/Observation"));
        Assert.Empty(await SearchAllAsync($"Patient/{bob.Id}/Observation"));
    }

    [SkippableFact]
    public async Task A_resource_in_two_members_compartments_is_refused_and_not_stored()
    {
        var system = NewSystem();
        var ann = await CreateAsync(NewPatient(system, "ann", "Two"));
        var bob = await CreateAsync(NewPatient(system, "bob", "Two"));
        var obs = NewObservation(system, "o", "8480-6", ann.Id, 120);
        obs.Performer = [new ResourceReference("Patient/" + bob.Id)];
        var reply = await Server.Http().FhirAsync(HttpMethod.Post, "Observation", obs);
        await OutcomeAssert.IsOutcomeAsync(reply.Message, 422, OperationOutcome.IssueType.BusinessRule);
        Assert.Empty(await SearchAllAsync($"Observation?identifier={system}|o"));
    }

    [SkippableTheory]
    [InlineData("Patient?_sort=family", "_sort")]
    [InlineData("Patient?_sort=_lastUpdated,_id", "_sort")]
    [InlineData("Patient?_offset=10", "_offset")]
    public async Task What_the_store_cannot_run_is_refused_precisely(string url, string parameter)
    {
        var reply = await Server.Http().FhirGetAsync(url);
        var outcome = await OutcomeAssert.IsOutcomeAsync(reply.Message, 400, OperationOutcome.IssueType.NotSupported);
        Assert.Equal(parameter, outcome.Issue[0].Expression.Single());
    }

    [SkippableFact]
    public async Task Two_servers_on_one_account_see_each_others_writes_at_once()
    {
        var patient = await CreateAsync(NewPatient(NewSystem(), "two", "Shared"));
        Assert.Equal(HttpStatusCode.OK, (await Server.Http().FhirGetAsync($"Patient/{patient.Id}")).Status); // read once here
        using var other = FhirServer.With(Store.Settings);
        patient.Name[0].Family = "Shared-2";
        Assert.Equal(HttpStatusCode.OK, (await other.Http().FhirAsync(HttpMethod.Put, $"Patient/{patient.Id}", patient)).Status);
        var read = (await Server.Http().FhirGetAsync($"Patient/{patient.Id}")).As<Patient>();
        Assert.Equal(("2", "Shared-2"), (read.Meta!.VersionId, read.Name[0].Family));
    }

    [SkippableFact]
    public async Task Request_charges_are_recorded_per_operation()
    {
        var server = Server;
        var charges = new List<(string Operation, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CosmosRequestCharges.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            lock (charges) charges.Add(((string)tags[0].Value!, value));
        });
        listener.Start();
        var patient = await CreateAsync(NewPatient(NewSystem(), "ru", "Charged"));
        Assert.Equal(HttpStatusCode.OK, (await server.Http().FhirGetAsync($"Patient/{patient.Id}")).Status);
        listener.Dispose();
        lock (charges)
        {
            Assert.Contains(charges, c => c.Operation == "create" && c.Value > 0);
            Assert.Contains(charges, c => c.Operation == "read" && c.Value > 0);
        }
    }

    [SkippableFact]
    public async Task A_commit_across_members_is_refused_and_writes_nothing()
    {
        var system = NewSystem();
        var ann = await CreateAsync(NewPatient(system, "ann", "Batch"));
        var bob = await CreateAsync(NewPatient(system, "bob", "Batch"));
        var store = Server.Services.GetRequiredService<IFhirStore>();
        var writes = new[] { ann, bob }.Select(p => Write(NewObservation(system, "x" + p.Id, "8480-6", p.Id, 100))).ToList();
        var refused = await Assert.ThrowsAsync<FhirCare.FhirFacade.Rest.FhirException>(() => store.CommitAsync(writes, default));
        Assert.Equal(422, refused.Status);
        Assert.Empty(await SearchAllAsync($"Observation?identifier={system}|"));
    }

    /// <summary>A new Observation as the write interactions would hand it to the store.</summary>
    protected ResourceWrite Write(Observation observation)
    {
        observation.Id = Guid.NewGuid().ToString("N");
        observation.Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow };
        var json = System.Text.Encoding.UTF8.GetBytes(Wire.ToJson(observation));
        var index = Server.Services.GetRequiredService<FhirCare.FhirFacade.Search.IndexExtractor>().Extract(observation);
        return new ResourceWrite("Observation", observation.Id, 1, 0, observation.Meta.LastUpdated.Value, false, json, index, "POST", 201);
    }
}

public sealed class CosmosEmulatorStoreTests(CosmosEmulatorStore store) : CosmosStoreTests<CosmosEmulatorStore>(store), IClassFixture<CosmosEmulatorStore>;

/// <summary>Tier 2 adds what the emulator cannot run: a member's multi-resource commit as one TransactionalBatch.</summary>
public sealed class CosmosAccountStoreTests(CosmosAccountStore store) : CosmosStoreTests<CosmosAccountStore>(store), IClassFixture<CosmosAccountStore>
{
    [SkippableFact]
    public async Task A_members_commit_is_one_transactional_batch()
    {
        var system = NewSystem();
        var ann = await CreateAsync(NewPatient(system, "ann", "Batch"));
        var store = Server.Services.GetRequiredService<IFhirStore>();
        var writes = Enumerable.Range(0, 3).Select(i => Write(NewObservation(system, $"b{i}", "8480-6", ann.Id, 100 + i))).ToList();
        await store.CommitAsync(writes, default);
        Assert.Equal(3, (await SearchAllAsync($"Patient/{ann.Id}/Observation?identifier={system}|")).Count);

        // One stale write fails the whole batch
        var again = writes.Select(w => w with { Version = 2, ExpectedCurrentVersion = 1 }).ToList();
        again[2] = again[2] with { ExpectedCurrentVersion = 5 };
        await Assert.ThrowsAsync<VersionConflictException>(() => store.CommitAsync(again, default));
        foreach (var w in writes)
            Assert.Equal(1, (await store.ReadAsync("Observation", w.Id, default))!.Version);
    }
}
