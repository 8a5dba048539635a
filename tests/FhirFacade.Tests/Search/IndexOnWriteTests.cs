using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>Search:IndexOnWrite=false (for measuring what indexing costs) leaves no index behind that a later start trusts.</summary>
public sealed class IndexOnWriteTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));

    private FhirServer Start(bool index) => FhirServer.With(new Dictionary<string, string?>
    {
        ["Storage:Sqlite:Path"] = Path.Combine(_folder, "index.db"),
        ["Search:IndexOnWrite"] = index ? "true" : "false",
    });

    private static async Task<int> FoundAsync(FhirServer server)
    {
        var reply = await server.Http().FhirGetAsync("Patient?family=Unindexed");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.As<Bundle>().Entry.Count;
    }

    [Fact]
    public async Task Resources_written_without_indexing_are_indexed_at_the_next_start_with_it()
    {
        using (var off = Start(index: false))
        {
            var created = await off.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { Name = [new HumanName { Family = "Unindexed" }] });
            Assert.Equal(HttpStatusCode.Created, created.Status);
            Assert.Equal(0, await FoundAsync(off));
        }

        using var on = Start(index: true);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await FoundAsync(on) == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(1, await FoundAsync(on));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
