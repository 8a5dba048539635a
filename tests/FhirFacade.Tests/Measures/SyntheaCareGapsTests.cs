using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using FhirCare.FhirFacade.Tests.Search;
using static FhirCare.FhirFacade.Tests.Measures.CareGapsClient;

namespace FhirCare.FhirFacade.Tests.Measures;

/// <summary>
/// Care gaps over real Synthea records (Fixtures/synthea), stored resource by resource. The expected statuses were
/// worked out by hand from the records (see each row), not taken from the server.
/// </summary>
public sealed class SyntheaCareGapsTests : IClassFixture<FhirServer>
{
    private readonly HttpClient _http;

    public SyntheaCareGapsTests(FhirServer server) => _http = server.Http();

    public static TheoryData<string, string, string> Expected => new()
    {
        // Woman born 1952-09-29: 68 at the end of 2020; general examinations 2020-01-06; colonoscopy 2017-09-26; flu shot 2020-01-06; no mammogram.
        { "4004a424-c33b-6ced-23c3-c1318e45c419", "Breast Cancer Screening", "open-gap" },
        { "4004a424-c33b-6ced-23c3-c1318e45c419", "Colorectal Cancer Screening", "closed-gap" },
        { "4004a424-c33b-6ced-23c3-c1318e45c419", "Cervical Cancer Screening", "not-applicable" },
        { "4004a424-c33b-6ced-23c3-c1318e45c419", "Adult Influenza Immunization", "closed-gap" },
        { "4004a424-c33b-6ced-23c3-c1318e45c419", "Annual Wellness Visit", "closed-gap" },
        { "4004a424-c33b-6ced-23c3-c1318e45c419", "Diabetes: Hemoglobin A1c (HbA1c) Poor Control (> 9%)", "not-applicable" },
        // Man born 1961-07-15: 59; colonoscopy 2016-07-14; flu shot 2019-08-31; general examination 2020-09-05; prediabetes only.
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Breast Cancer Screening", "not-applicable" },
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Colorectal Cancer Screening", "closed-gap" },
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Adult Influenza Immunization", "closed-gap" },
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Annual Wellness Visit", "closed-gap" },
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Diabetes: Hemoglobin A1c (HbA1c) Poor Control (> 9%)", "not-applicable" },
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Controlling High Blood Pressure", "not-applicable" },
        { "8dd4ed1f-108e-64ad-ce09-926c83ce7f76", "Diabetes: Eye Exam", "not-applicable" },
    };

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool _loaded;

    private async Task LoadAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_loaded) return;
            foreach (var patient in new[] { "4004a424-c33b-6ced-23c3-c1318e45c419", "8dd4ed1f-108e-64ad-ce09-926c83ce7f76" })
                foreach (var d in SearchCorpus.SyntheaEntries(patient))
                {
                    var reply = await _http.FhirAsync(HttpMethod.Put, $"{d.Type}/{d.Id}", d.Json, Wire.FhirJson);
                    Assert.True(reply.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {d.Type}/{d.Id}: {reply}");
                }
            _loaded = true;
        }
        finally { Once.Release(); }
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public async Task Synthea_members_get_the_gaps_their_records_show(string patient, string measure, string status)
    {
        await LoadAsync();
        var gaps = Gaps(await _http.CareGapsAsync($"periodStart=2020-01-01&periodEnd=2020-12-31&subject=Patient/{patient}&{AllStatuses}"));
        Assert.Equal(8, gaps.Count);
        Assert.Equal(status, gaps[(patient, measure)]);
    }
}
