using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>
/// A server of its own loaded the way an EHR would load it: the two Synthea batch Bundles (organizations, locations,
/// practitioners), then two patients' transaction Bundles whose references to those are conditional. Keeps the
/// responses and the input counts per type for the tests to check against.
/// </summary>
public sealed class SyntheaLoad : IDisposable
{
    public static readonly string[] Patients = ["8a4c9c04-1524-9f1c-d65b-9b17e4520fef", "6c8f3e83-c351-ed33-c38d-6be101c275d2"];
    private static readonly string[] Batches = ["0-hospitalInformation1625911868739", "0-practitionerInformation1625911868739"];

    // No published guide (profiles/ holds an Organization and more): the store holds exactly the input, so counts compare.
    public FhirServer Server { get; } = FhirServer.With(new Dictionary<string, string?>
    {
        ["Search:ProfilesPath"] = Path.Combine(Path.GetTempPath(), "fhircare-tests", "no-profiles"),
    });

    /// <summary>Resources per type in the input Bundles.</summary>
    public Dictionary<string, int> InputCounts { get; } = [];

    /// <summary>Per loaded Bundle file, the response Bundle.</summary>
    public Dictionary<string, JsonNode> Responses { get; } = [];

    /// <summary>Per patient file, the server id of its Patient and the resources per type of its Bundle.</summary>
    public Dictionary<string, (string PatientId, Dictionary<string, int> Counts)> PatientRecords { get; } = [];

    public SyntheaLoad()
    {
        foreach (var name in Batches.Concat(Patients)) Load(name).GetAwaiter().GetResult();
    }

    private async Task Load(string name)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "synthea", $"{name}.json"));
        var input = JsonNode.Parse(text)!["entry"]!.AsArray();
        var counts = input.GroupBy(e => (string)e!["resource"]!["resourceType"]!).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (type, n) in counts) InputCounts[type] = InputCounts.GetValueOrDefault(type) + n;
        var reply = await Server.Http().FhirAsync(HttpMethod.Post, "", text, Wire.FhirJson, ("Prefer", "return=minimal"));
        if (reply.Status != HttpStatusCode.OK) throw new InvalidOperationException($"{name}: {reply}");
        Responses[name] = reply.Json;
        if (Patients.Contains(name))
        {
            var patientEntry = reply.Json["entry"]!.AsArray()
                .Zip(input).First(p => (string)p.Second!["resource"]!["resourceType"]! == "Patient").First!;
            var location = (string)patientEntry["response"]!["location"]!;
            PatientRecords[name] = (location.Split('/')[1], counts);
        }
    }

    public void Dispose() => Server.Dispose();
}
