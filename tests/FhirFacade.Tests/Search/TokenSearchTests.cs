using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Token parameters (search.html#token): [code] in any system, [system]|[code], |[code] (no system), [system]| (any code
/// in the system); :not (which also matches resources without a value), :text (CodeableConcept.text, Coding.display or
/// Identifier.type.text), :of-type on identifiers; codes, Codings, CodeableConcepts, Identifiers, ContactPoints, booleans
/// and bound enums (gender), over the official examples and the Synthea patient.
/// </summary>
public sealed class TokenSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string Loinc = "http://loinc.org";
    private const string V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203";

    [Theory]
    [InlineData("Patient", "identifier=12345", "example xcda")]
    [InlineData("Patient", "identifier=urn:oid:1.2.36.146.595.217.0.1|12345", "example")]
    [InlineData("Patient", "identifier=urn:oid:2.16.840.1.113883.19.5|12345", "xcda")]
    [InlineData("Patient", "identifier=|12345", "")]
    [InlineData("Patient", "identifier=AB60001", "ihe-pcd")]
    [InlineData("Patient", "identifier=|AB60001", "ihe-pcd")]
    [InlineData("Patient", "identifier=urn:oid:1.2.3|AB60001", "")]
    [InlineData("Patient", "identifier=urn:oid:0.1.2.3.4.5.6.7|", "pat1 pat2 pat3 pat4")]
    [InlineData("Patient", "identifier=http://hl7.org/fhir/sid/us-ssn|444222222", "genetics-example1 mom")]
    [InlineData("Patient", "identifier=http://hl7.org/fhir/sid/us-ssn|", "genetics-example1 mom 8a4c9c04")]
    [InlineData("Patient", "identifier=8a4c9c04-1524-9f1c-d65b-9b17e4520fef", "8a4c9c04")]
    [InlineData("Patient", "identifier=http://hospital.smarthealthit.org|8a4c9c04-1524-9f1c-d65b-9b17e4520fef", "8a4c9c04")]
    [InlineData("Patient", "identifier=http://hospital.smarthealthit.org|999-12-2220", "")]
    [InlineData("Patient", "identifier:of-type=" + V2_0203 + "|MR|12345", "example xcda")]
    [InlineData("Patient", "identifier:of-type=" + V2_0203 + "|SS|999-12-2220", "8a4c9c04")]
    [InlineData("Patient", "identifier:of-type=" + V2_0203 + "|MR|999-12-2220", "")]
    [InlineData("Patient", "identifier:of-type=" + V2_0203 + "|MR|8a4c9c04-1524-9f1c-d65b-9b17e4520fef", "8a4c9c04")]
    [InlineData("Patient", "identifier:of-type=" + V2_0203 + "|SS|444222222", "genetics-example1 mom")]
    [InlineData("Patient", "identifier:text=dog", "animal")]
    [InlineData("Patient", "identifier:text=social security", "8a4c9c04")]
    [InlineData("Patient", "gender=female", "animal genetics-example1 infant-mom infant-twin-1 mom pat4 proband 8a4c9c04")]
    [InlineData("Patient", "gender=http://hl7.org/fhir/administrative-gender|female", "animal genetics-example1 infant-mom infant-twin-1 mom pat4 proband 8a4c9c04")]
    [InlineData("Patient", "gender=urn:other-system|female", "")]
    [InlineData("Patient", "gender=other", "pat2")]
    [InlineData("Patient", "gender:not=male", "animal genetics-example1 ihe-pcd infant-mom infant-twin-1 mom pat2 pat4 proband 8a4c9c04")]
    [InlineData("Patient", "gender:missing=true", "ihe-pcd")]
    [InlineData("Patient", "active=false", "")]
    [InlineData("Patient", "active:missing=true", "infant-fetal infant-mom infant-twin-1 infant-twin-2 newborn 8a4c9c04")]
    [InlineData("Patient", "active:not=true", "infant-fetal infant-mom infant-twin-1 infant-twin-2 newborn 8a4c9c04")]
    [InlineData("Patient", "deceased=true", "pat3 pat4")]
    [InlineData("Patient", "telecom=phone|0648352638", "f001")]
    [InlineData("Patient", "telecom=0648352638", "f001")]
    [InlineData("Patient", "telecom=email|0648352638", "")]
    [InlineData("Patient", "telecom=email|", "f001")]
    [InlineData("Patient", "phone=555-555-2003", "genetics-example1 mom")]
    [InlineData("Patient", "email=p.heuvel@gmail.com", "f001")]
    [InlineData("Patient", "language=nl", "f001")]
    [InlineData("Patient", "language=urn:ietf:bcp:47|en-US", "8a4c9c04")]
    [InlineData("Patient", "_id=example,pat1,nonexistent", "example pat1")]
    [InlineData("Observation", "code=85354-9", "4f711953 71599c70 c04d5af9 blood-pressure blood-pressure-cancel blood-pressure-dar")]
    [InlineData("Observation", "code=" + Loinc + "|85354-9", "4f711953 71599c70 c04d5af9 blood-pressure blood-pressure-cancel blood-pressure-dar")]
    [InlineData("Observation", "code=http://snomed.info/sct|85354-9", "")]
    [InlineData("Observation", "code=|85354-9", "")]
    [InlineData("Observation", "code=" + Loinc + "|8480-6", "")]
    [InlineData("Observation", "component-code=" + Loinc + "|8480-6", "4f711953 71599c70 c04d5af9 blood-pressure blood-pressure-cancel blood-pressure-dar")]
    [InlineData("Observation", "combo-code=8480-6", "4f711953 71599c70 c04d5af9 blood-pressure blood-pressure-cancel blood-pressure-dar")]
    [InlineData("Observation", "code=" + Loinc + "|8302-2," + Loinc + "|29463-7", "4b93053c 60524ff3 66d8a7e8 718a60f5 b463bc59 body-height body-length cf94bda7 example")]
    [InlineData("Observation", "code=http://acme.org/devices/clinical-codes|body-weight", "example")]
    [InlineData("Observation", "code=http://acme.org/devices/clinical|body-weight", "")]
    [InlineData("Observation", "status=cancelled", "blood-pressure-cancel unsat")]
    [InlineData("Observation", "status=http://hl7.org/fhir/observation-status|cancelled", "blood-pressure-cancel unsat")]
    [InlineData("Observation", "status=http://hl7.org/fhir/encounter-status|cancelled", "")]
    [InlineData("Observation", "value-concept=http://snomed.info/sct|112144000", "bloodgroup rhstatus")]
    [InlineData("Observation", "value-concept=266919005", "e8dd142c ee2a9d0e f6d29017")]
    [InlineData("Observation", "code:text=body weight", "4b93053c 66d8a7e8 cf94bda7 example")]
    [InlineData("Observation", "code:text=HEART", "13a41f54 99ae4fe7 c12d9147 heart-rate")]
    [InlineData("Observation", "code:text=blood pressure systolic", "blood-pressure blood-pressure-cancel blood-pressure-dar")]
    [InlineData("Observation", "code:text=body length", "body-length")]
    [InlineData("Observation", "code:text=eye", "eye-color")]
    [InlineData("Observation", "code-value-concept=http://loinc.org|883-9$http://snomed.info/sct|112144000", "bloodgroup rhstatus")]
    [InlineData("Observation", "code-value-concept=http://loinc.org|883-9$http://snomed.info/sct|373066001", "")]
    [InlineData("Observation", "code-value-concept=http://loinc.org|39243-1$373066001", "secondsmoke")]
    [InlineData("Condition", "code:text=burnt", "example")]
    [InlineData("Condition", "code:text=burn", "example")]
    [InlineData("Condition", "code:text=asthma", "example2")]
    [InlineData("Procedure", "code:text=biopsy of suspected", "biopsy")]
    [InlineData("Condition", "clinical-status=resolved", "f201 f202")]
    [InlineData("Condition", "clinical-status:not=active", "f201 f202 f204")]
    [InlineData("Condition", "verification-status=differential", "f204 f205")]
    [InlineData("Condition", "severity=http://snomed.info/sct|24484000", "example f002 f202 f204")]
    [InlineData("Condition", "_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|TBOO", "f202")]
    [InlineData("Condition", "identifier=|12345", "f201")]
    [InlineData("Procedure", "identifier=|12345", "ambulation colon-biopsy colonoscopy")]
    [InlineData("Procedure", "status=not-done", "ambulation")]
    [InlineData("Encounter", "class=AMB", "f001 f002 f003 f201 f202 xcda 679146c3 41560e10 4a8d5530")]
    [InlineData("Encounter", "class=http://terminology.hl7.org/CodeSystem/v3-ActCode|IMP", "emerg example f203")]
    [InlineData("Encounter", "class:not=AMB", "emerg example f203 home")]
    [InlineData("Encounter", "class:text=ambulatory", "f001 f002 f003 f201 f202 xcda")]
    [InlineData("Encounter", "class:text=inpatient", "emerg example f203")]
    [InlineData("Encounter", "identifier=|Encounter_Roel_20130404", "f201")]
    [InlineData("Encounter", "type=http://snomed.info/sct|410620009", "679146c3 41560e10 4a8d5530")]
    [InlineData("Immunization", "vaccine-code=http://hl7.org/fhir/sid/cvx|08", "02db96d6 eb0d8959")]
    [InlineData("Immunization", "vaccine-code=http://hl7.org/fhir/sid/cvx|", "028a3e3b 02db96d6 0344678a 1a1f8ce3 26e0927c eb0d8959 f0c78834 notGiven protocol")]
    [InlineData("Immunization", "status:not=completed", "notGiven")]
    public async Task Token_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    public static TheoryData<string, string, Oracle> Computed => new()
    {
        { "Patient", "identifier:not=urn:oid:0.1.2.3.4.5.6.7|123456", new("every patient but pat2", r => r.Id != "pat2") },
        { "Patient", "identifier:not=urn:oid:0.1.2.3.4.5.6.7|", new("no identifier in the system", r => ((Patient)r).Identifier.All(i => i.System != "urn:oid:0.1.2.3.4.5.6.7")) },
        { "Patient", "gender=male,other", new("male or other", r => ((Patient)r).Gender is AdministrativeGender.Male or AdministrativeGender.Other) },
        { "Patient", "gender=http://hl7.org/fhir/administrative-gender|", new("has a gender", r => ((Patient)r).Gender is not null) },
        { "Patient", "active=true", new("active", r => ((Patient)r).Active == true) },
        { "Patient", "deceased=false", new("not deceased", r => ((Patient)r).Deceased is null or FhirBoolean { Value: false }) },
        { "Observation", $"code={Loinc}|", new("has a LOINC code", r => Codes(((Observation)r).Code).Any(c => c.System == Loinc)) },
        { "Observation", $"code:not={Loinc}|85354-9", new("is not a blood pressure panel", r => !Codes(((Observation)r).Code).Any(c => c.System == Loinc && c.Code == "85354-9")) },
        { "Observation", $"code:not={Loinc}|8302-2", new("has no body height code", r => !Codes(((Observation)r).Code).Any(c => c.System == Loinc && c.Code == "8302-2")) },
        { "Observation", "status:not=final", new("status other than final", r => ((Observation)r).Status != ObservationStatus.Final) },
        { "Observation", "status=final,preliminary", new("final or preliminary", r => ((Observation)r).Status is ObservationStatus.Final or ObservationStatus.Preliminary) },
        { "Observation", "category=vital-signs", new("vital signs", r => ((Observation)r).Category.SelectMany(Codes).Any(c => c.Code == "vital-signs")) },
        { "Observation", "category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
            new("laboratory", r => ((Observation)r).Category.SelectMany(Codes).Any(c => c is { System: "http://terminology.hl7.org/CodeSystem/observation-category", Code: "laboratory" })) },
        { "Observation", "category:missing=true", new("no category", r => ((Observation)r).Category.Count == 0) },
        { "Observation", "category:missing=false", new("some category", r => ((Observation)r).Category.Count > 0) },
        { "Observation", "category=vital-signs&status=final", new("final vital signs",
            r => ((Observation)r).Category.SelectMany(Codes).Any(c => c.Code == "vital-signs") && ((Observation)r).Status == ObservationStatus.Final) },
    };

    [Theory]
    [MemberData(nameof(Computed))]
    public async Task Token_search_matches_what_the_data_says(string type, string query, Oracle expected) =>
        await corpus.AssertFindsAsync(type, query, expected.Matches);

    private static IEnumerable<Coding> Codes(CodeableConcept? concept) => concept?.Coding ?? [];
}
