using System.Net;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>409 from lost update races and 500 from a broken store, each on a server of its own.</summary>
public sealed class ErrorStatusServerTests
{
    // Without the read cache, so that every request really reaches the (deliberately broken) store.
    private static FhirServer NewServer() => FhirServer.With(new Dictionary<string, string?> { ["Storage:Cache:MaxBytes"] = "0" });

    [Fact]
    public async Task Concurrent_updates_without_if_match_are_200_or_409_and_none_is_lost()
    {
        using var server = NewServer();
        var patient = await server.CreatePatientAsync();
        var before = server.Fingerprint(); // the published guide (profiles/) is in the store too
        var go = new TaskCompletionSource();
        var racers = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var body = $$"""{"resourceType":"Patient","id":"{{patient.Id}}","name":[{"family":"Racer{{i}}"}]}""";
            using var client = server.Http();
            await go.Task;
            var response = await client.SendAsync(Create(HttpMethod.Put, $"Patient/{patient.Id}", body));
            await response.Content.LoadIntoBufferAsync();
            return response;
        })).ToList();
        go.SetResult();
        var responses = await Task.WhenAll(racers);

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
            await OutcomeAssert.IsOutcomeAsync(conflict, 409, IssueType.Conflict);
        var updated = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var versions = updated.Select(r => r.Headers.ETag?.Tag).Order().ToList();
        Assert.Equal(Enumerable.Range(2, updated.Count).Select(v => $"\"{v}\"").Order(), versions);

        var final = await server.Client().ReadAsync<Patient>($"Patient/{patient.Id}");
        Assert.Equal((1 + updated.Count).ToString(), final!.Meta.VersionId);
        Assert.Equal(before.Versions + updated.Count, server.Fingerprint().Versions);
        foreach (var r in responses) r.Dispose();
    }

    public static TheoryData<string, string> RequestsThatReadTheStore() => new()
    {
        { "GET", "Patient/{id}" },
        { "GET", "Patient/{id}/_history/1" },
        { "GET", "Patient/{id}/_history" },
        { "GET", "_history" },
        { "PUT", "Patient/{id}" },
        { "DELETE", "Patient/{id}" },
    };

    [Theory]
    [MemberData(nameof(RequestsThatReadTheStore))]
    public async Task A_broken_store_is_500_without_internals(string method, string url)
    {
        using var server = NewServer();
        var patient = await server.CreatePatientAsync();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE version";
            drop.ExecuteNonQuery();
        }

        var body = method == "PUT" ? PatientJson(patient.Id, "male") : null;
        using var response = await server.Http().SendAsync(Create(new HttpMethod(method), url.Replace("{id}", patient.Id), body));
        await OutcomeAssert.IsOutcomeAsync(response, 500, IssueType.Exception);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotMatch(@"\w+Exception\b", text);
        Assert.DoesNotMatch(@"(System|Microsoft|FhirCare)\.\w+\.", text);
        Assert.DoesNotContain("no such table", text, StringComparison.OrdinalIgnoreCase);
    }
}
