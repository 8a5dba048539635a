using FhirCare.FhirFacade.Export;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>The job store used with Cosmos: jobs survive a new instance (a restart), unfinished ones are listed, odd ids never touch the disk.</summary>
public sealed class FileExportJobStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));

    private FileExportJobStore NewStore() => new(Options.Create(new ExportOptions { OutputPath = _folder }));

    [Fact]
    public async Task Jobs_survive_a_new_instance_and_only_unfinished_ones_are_resumed()
    {
        var running = new ExportJob("0a1b", ExportLevel.System, null, ["Patient"], null, [], DateTimeOffset.UtcNow, "http://x/$export") { Status = ExportStatus.Running };
        var done = running with { Id = "0a1c", Status = ExportStatus.Completed, Output = [new ExportFile("Patient", "Patient-1.ndjson", 3)] };
        await NewStore().SaveAsync(running, default);
        await NewStore().SaveAsync(done, default);

        var store = NewStore();
        Assert.Equal(3, (await store.ReadAsync("0a1c", default))!.Output.Single().Count);
        Assert.Equal(["0a1b"], (await store.UnfinishedAsync(default)).Select(j => j.Id));
        await store.DeleteAsync("0a1b", default);
        Assert.Null(await store.ReadAsync("0a1b", default));
        Assert.Null(await store.ReadAsync("../0a1c", default));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
