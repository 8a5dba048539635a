using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Reference parameters (search.html#reference): [id], [type]/[id], the :[type] modifier, versioned references, :missing;
/// chaining (#chaining), including multi-level chains and chains restricted with :[type]; reverse chaining with _has
/// (#has), nested and combined with other parameters. The Synthea patient's references were urn:uuid ones, stored as
/// [type]/[id] (see <see cref="SearchCorpus"/>).
/// </summary>
public sealed class ReferenceSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string Synthea = "Patient/" + SearchCorpus.SyntheaPatient;

    [Theory]
    [InlineData("Observation", "patient=Patient/f001", "ekg f001 f002 f003 f004 f005 unsat")]
    [InlineData("Observation", "subject=Patient/f001", "ekg f001 f002 f003 f004 f005 unsat")]
    [InlineData("Observation", "subject=f001", "ekg f001 f002 f003 f004 f005 unsat")]
    [InlineData("Observation", "subject:Patient=f001", "ekg f001 f002 f003 f004 f005 unsat")]
    [InlineData("Observation", "subject:Group=f001", "")]
    [InlineData("Observation", "subject=Group/f001", "")]
    [InlineData("Observation", "subject=Group/herd1", "herd1")]
    [InlineData("Observation", "subject:Group=herd1", "herd1")]
    [InlineData("Observation", "subject:Patient=herd1", "")]
    [InlineData("Observation", "patient=Patient/herd1", "")]
    [InlineData("Observation", "subject=Patient/f001,Group/herd1", "ekg f001 f002 f003 f004 f005 unsat herd1")]
    [InlineData("Observation", "subject:Patient._id=f001", "ekg f001 f002 f003 f004 f005 unsat")]
    [InlineData("Observation", "subject=Patient/f001&code=http://loinc.org|15074-8", "f001 unsat")]
    [InlineData("Observation", "has-member=Observation/bloodgroup", "bgpanel")]
    [InlineData("Observation", "derived-from=Observation/example-diplotype1", "example-phenotype")]
    [InlineData("Observation", "focus=Patient/infant-mom", "trachcare")]
    [InlineData("Observation", "based-on:identifier=https://acme.org/identifiers|1234", "blood-pressure")]
    [InlineData("Observation", "based-on:identifier=https://acme.org/identifiers|4321", "")]
    [InlineData("Observation", "performer=Practitioner/f202", "f203 f204 f205 f206")]
    [InlineData("Observation", "performer:Practitioner=f201", "f202")]
    [InlineData("DiagnosticReport", "result=Observation/d9cd3963-9af8-df3b-3285-92dee46cf7a5", "9ea63fe3")]
    [InlineData("Condition", "asserter=f001", "f001 f002 f003")]
    [InlineData("Condition", "asserter:Practitioner=f201", "f201 f203 f204 f205")]
    [InlineData("Condition", "asserter:Patient=f201", "")]
    [InlineData("Provenance", "target=Procedure/example", "example")]
    [InlineData("Provenance", "target=Procedure/example/_history/1", "example")]
    [InlineData("Provenance", "target=" + Synthea, "27000e11")]
    [InlineData("Procedure", "encounter:missing=false", "f001 f002 f003 f004 f201 177d7c11 20d451a3 1102d414")]
    [InlineData("Procedure", "subject:missing=true", "education ob")]
    [InlineData("Encounter", "subject=" + Synthea, "679146c3 41560e10 4a8d5530")]
    [InlineData("Encounter", "subject=Patient/xcda", "xcda")]
    public async Task Reference_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    [Theory]
    [InlineData("Observation", "subject.name=chalmers")]
    [InlineData("Observation", "subject:Patient.name=windsor")]
    [InlineData("Observation", "subject:Patient.name=zandra")]
    [InlineData("Observation", "patient.identifier=http://hl7.org/fhir/sid/us-ssn|999-12-2220")]
    [InlineData("Observation", "subject:Patient.gender=female")]
    [InlineData("Observation", "subject:Patient.birthdate=lt1950")]
    [InlineData("Observation", "subject:Patient.gender=male&subject:Patient.birthdate=ge1970")]
    [InlineData("Observation", "encounter.subject:Patient.gender=female")]
    [InlineData("Observation", "encounter.class=AMB")]
    [InlineData("Encounter", "subject:Patient.birthdate=2021-04-03")]
    [InlineData("Encounter", "subject:Patient.birthdate=lt1950")]
    [InlineData("Encounter", "subject:Patient.family=chalmers,notsowell")]
    [InlineData("Condition", "subject.name=roel")]
    [InlineData("DiagnosticReport", "result.code=http://loinc.org|718-7")]
    [InlineData("DiagnosticReport", "result.subject:Patient.name=zandra")]
    public async Task Chained_search_matches_resources_whose_target_matches(string type, string query)
    {
        var parameters = query.Split('&').Select(p => p.Split('=', 2)).ToList();
        await corpus.AssertFindsAsync(type, query, r => parameters.All(p => ChainOracle(type, p[0], p[1], r)));
    }

    [Theory]
    [InlineData("Patient", "_has:Observation:subject:code=http://loinc.org|85354-9", "example 8a4c9c04")]
    [InlineData("Patient", "_has:Observation:patient:component-code=http://loinc.org|8480-6", "example 8a4c9c04")]
    [InlineData("Patient", "_has:Observation:subject:code=http://loinc.org|85354-9&gender=female", "8a4c9c04")]
    [InlineData("Patient", "_has:Observation:subject:code=http://loinc.org|no-such-code", "")]
    [InlineData("Patient", "_has:Condition:subject:clinical-status=resolved", "f201")]
    [InlineData("Patient", "_has:Condition:asserter:code=http://snomed.info/sct|368009", "f001")]
    [InlineData("Patient", "_has:Encounter:subject:class=HH", "example")]
    [InlineData("Patient", "_has:Encounter:subject:class=AMB", "f001 f201 xcda 8a4c9c04")]
    [InlineData("Patient", "_has:Immunization:patient:vaccine-code=http://hl7.org/fhir/sid/cvx|08", "8a4c9c04")]
    [InlineData("Patient", "_has:Encounter:subject:_has:Observation:encounter:code=http://loinc.org|85354-9", "8a4c9c04")]
    [InlineData("Patient", "_has:Encounter:subject:class=AMB&_has:Condition:subject:clinical-status=resolved", "f201")]
    [InlineData("Encounter", "_has:Observation:encounter:value-quantity=gt400", "679146c3")]
    [InlineData("Observation", "_has:DiagnosticReport:result:code=http://loinc.org|58410-2", "d9cd3963 fc77f25e 85ce1d38 d32b448c 66addaf0 dfc3b58a 7b6b1be9 01d48113 ad3e39da 69a4c473 9377754a")]
    [InlineData("Observation", "_has:Observation:has-member:_id=bgpanel", "bloodgroup rhstatus")]
    public async Task Reverse_chained_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    /// <summary>
    /// The resources referenced through <paramref name="chain"/>'s first link that exist in the fixture and match the rest
    /// of the chain; only the parameters used in the rows are understood.
    /// </summary>
    private bool ChainOracle(string type, string chain, string value, Resource r)
    {
        var dot = chain.IndexOf('.');
        var (head, rest) = (chain[..dot], chain[(dot + 1)..]);
        var targetType = head.Contains(':') ? head[(head.IndexOf(':') + 1)..] : null;
        IEnumerable<ResourceReference?> references = (type, head.Split(':')[0]) switch
        {
            ("Observation", "subject" or "patient") => new[] { ((Observation)r).Subject },
            ("Observation", "encounter") => new[] { ((Observation)r).Encounter },
            ("Encounter", "subject") => new[] { ((Encounter)r).Subject },
            ("Condition", "subject") => new[] { ((Condition)r).Subject },
            ("DiagnosticReport", "result") => ((DiagnosticReport)r).Result,
            _ => throw new ArgumentException(chain),
        };
        var targets = references
            .Select(reference => reference?.Reference?.Split('/') is [var t, var id] && (targetType ?? t) == t && corpus.Resources.Any(x => x.TypeName == t && x.Id == id) ? corpus.Get(t, id) : null)
            .OfType<Resource>();
        if (head.Split(':')[0] == "patient") targets = targets.Where(t => t is Patient);
        return targets.Any(t => rest.Contains('.') ? ChainOracle(t.TypeName, rest, value, t) : Matches(t, rest, value));
    }

    private static bool Matches(Resource target, string param, string value) => (target, param.Split(':')[0]) switch
    {
        (Patient p, "name") => value.Split(',').Any(v => p.Name.Any(n => new[] { n.Family, n.Text }.Concat(n.Given).Concat(n.Prefix).Concat(n.Suffix)
            .Any(s => s is not null && s.StartsWith(v, StringComparison.OrdinalIgnoreCase)))),
        (Patient p, "family") => value.Split(',').Any(v => p.Name.Any(n => n.Family?.StartsWith(v, StringComparison.OrdinalIgnoreCase) == true)),
        (Patient p, "gender") => p.Gender?.ToString().Equals(value, StringComparison.OrdinalIgnoreCase) == true,
        (Patient p, "identifier") => p.Identifier.Any(i => $"{i.System}|{i.Value}" == value),
        (Patient p, "birthdate") => p.BirthDate is { } b && value switch
        {
            ['l', 't', .. var v] => string.CompareOrdinal(b, v) < 0,
            ['g', 'e', .. var v] => string.CompareOrdinal(b, v) >= 0,
            _ => b == value,
        },
        (Encounter e, "class") => e.Class?.Code == value,
        (Observation o, "code") => o.Code.Coding.Any(c => $"{c.System}|{c.Code}" == value),
        _ => false,
    };
}
