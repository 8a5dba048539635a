using System.Buffers;
using System.Text.Json;

namespace FhirCare.Bench;

/// <summary>Writes the JSON of one synthetic resource; one instance per client (it reuses its buffer).</summary>
sealed class ResourceWriter
{
    const string Snomed = "http://snomed.info/sct";
    const string Loinc = "http://loinc.org";
    const string Ucum = "http://unitsofmeasure.org";
    const string OutreachSystem = "https://fhircare.org/fhir/CodeSystem/outreach";

    static readonly (string Snomed, string Icd10, string Display)[] Conditions =
    [
        ("44054006", "E11.9", "Type 2 diabetes mellitus"), ("38341003", "I10", "Essential hypertension"),
        ("55822004", "E78.5", "Hyperlipidemia"), ("195967001", "J45.909", "Asthma"),
        ("35489007", "F32.9", "Depressive disorder"), ("709044004", "N18.9", "Chronic kidney disease"),
        ("13645005", "J44.9", "Chronic obstructive pulmonary disease"), ("414916001", "E66.9", "Obesity"),
    ];

    static readonly (string Code, string Display)[] Procedures =
    [
        ("73761001", "Colonoscopy"), ("71651007", "Mammography"), ("399208008", "Plain chest X-ray"),
        ("430193006", "Medication reconciliation"), ("171207006", "Depression screening"),
    ];

    static readonly (string Code, string Display)[] Vaccines =
    [
        ("140", "Influenza, seasonal, injectable, preservative free"), ("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, 30 mcg/0.3 mL"),
        ("33", "Pneumococcal polysaccharide vaccine, 23 valent"), ("115", "Tdap"), ("187", "Zoster vaccine recombinant"),
    ];

    static readonly (string Code, string Display)[] Encounters =
    [
        ("185349003", "Encounter for check up"), ("390906007", "Follow-up encounter"), ("185345009", "Encounter for symptom"),
    ];

    static readonly (string Code, string Display)[] Outreach =
    [
        ("care-gap-outreach", "Close a care gap"), ("annual-wellness-visit", "Schedule annual wellness visit"),
        ("a1c-follow-up", "Follow up on HbA1c result"), ("medication-adherence", "Medication adherence check"),
    ];

    static readonly string[] Media = ["phone", "sms", "email"];

    readonly SyntheticData _data;
    readonly ArrayBufferWriter<byte> _buffer = new(4096);
    readonly Utf8JsonWriter _w;

    public ResourceWriter(SyntheticData data)
    {
        _data = data;
        _w = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    public static string OrganizationId(int vendor) => $"vendor-{vendor}";

    /// <summary>The returned body is valid until the next call.</summary>
    public ReadOnlyMemory<byte> Organization(int vendor)
    {
        Begin("Organization", OrganizationId(vendor));
        _w.WriteBoolean("active", true);
        _w.WriteStartArray("type");
        Concept(null, "http://terminology.hl7.org/CodeSystem/organization-type", "bus", "Non-Healthcare Business or Corporation");
        _w.WriteEndArray();
        _w.WriteString("name", $"Outreach Vendor {vendor}");
        return End();
    }

    /// <summary>The resource in <paramref name="slot"/> of <paramref name="member"/>; valid until the next call.</summary>
    public (string Type, string Id, ReadOnlyMemory<byte> Body) Resource(Member member, int slot)
    {
        var kind = SyntheticData.KindOf(slot);
        var (type, id) = (SyntheticData.TypeOf(kind), SyntheticData.IdOf(member.Index, slot));
        var r = _data.RandomFor(member.Index, slot);
        var patient = "Patient/" + member.Id;
        Begin(type, id);
        switch (kind)
        {
            case Kind.Patient:
                WritePatient(member);
                break;
            case Kind.Encounter:
                var (code, display) = Encounters[r.Next(Encounters.Length)];
                var start = SyntheticData.TimeIn(r);
                _w.WriteString("status", "finished");
                Coding("class", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory");
                _w.WriteStartArray("type");
                Concept(null, Snomed, code, display);
                _w.WriteEndArray();
                Reference("subject", patient);
                _w.WriteStartObject("period");
                _w.WriteString("start", start);
                _w.WriteString("end", start.AddMinutes(15 + r.Next(45)));
                _w.WriteEndObject();
                break;
            case Kind.Condition:
                var condition = Conditions[r.Next(Conditions.Length)];
                Concept("clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active");
                Concept("verificationStatus", "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed");
                _w.WriteStartArray("category");
                Concept(null, "http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item");
                _w.WriteEndArray();
                _w.WriteStartObject("code");
                _w.WriteStartArray("coding");
                Coding(null, Snomed, condition.Snomed, condition.Display);
                Coding(null, "http://hl7.org/fhir/sid/icd-10-cm", condition.Icd10, condition.Display);
                _w.WriteEndArray();
                _w.WriteString("text", condition.Display);
                _w.WriteEndObject();
                Reference("subject", patient);
                var onset = SyntheticData.TimeIn(r);
                _w.WriteString("onsetDateTime", onset.ToString("yyyy-MM-dd"));
                _w.WriteString("recordedDate", onset.ToString("yyyy-MM-dd"));
                break;
            case Kind.HbA1c or Kind.BloodPressure or Kind.Bmi or Kind.Ldl:
                WriteObservation(kind, r, patient);
                break;
            case Kind.Procedure:
                var procedure = Procedures[r.Next(Procedures.Length)];
                _w.WriteString("status", "completed");
                Concept("code", Snomed, procedure.Code, procedure.Display);
                Reference("subject", patient);
                _w.WriteString("performedDateTime", SyntheticData.TimeIn(r));
                break;
            case Kind.Immunization:
                var vaccine = Vaccines[r.Next(Vaccines.Length)];
                _w.WriteString("status", "completed");
                Concept("vaccineCode", "http://hl7.org/fhir/sid/cvx", vaccine.Code, vaccine.Display);
                Reference("patient", patient);
                _w.WriteString("occurrenceDateTime", SyntheticData.TimeIn(r));
                _w.WriteBoolean("primarySource", true);
                break;
            case Kind.CarePlan:
                var plan = Conditions[r.Next(Conditions.Length)].Display;
                _w.WriteString("status", r.Next(4) == 0 ? "completed" : "active");
                _w.WriteString("intent", "plan");
                _w.WriteStartArray("category");
                Concept(null, "http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan", "Assessment and Plan of Treatment");
                _w.WriteEndArray();
                _w.WriteString("title", $"{plan} care plan");
                Reference("subject", patient);
                _w.WriteStartObject("period");
                _w.WriteString("start", SyntheticData.TimeIn(r).ToString("yyyy-MM-dd"));
                _w.WriteEndObject();
                break;
            case Kind.Task:
                var (status, vendor) = _data.TaskFacts(member.Index, slot);
                var outreach = Outreach[r.Next(Outreach.Length)];
                _w.WriteString("status", status);
                _w.WriteString("intent", "order");
                _w.WriteString("priority", r.Next(5) == 0 ? "urgent" : "routine");
                Concept("code", OutreachSystem, outreach.Code, outreach.Display);
                _w.WriteString("description", $"{outreach.Display} for {member.Given} {member.Family}");
                Reference("for", patient);
                var authored = SyntheticData.TimeIn(r);
                _w.WriteString("authoredOn", authored);
                _w.WriteString("lastModified", authored.AddDays(r.Next(30)));
                Reference("owner", "Organization/" + OrganizationId(vendor));
                break;
            case Kind.Communication:
                var task = SyntheticData.PreviousTask(slot);
                var medium = Media[r.Next(Media.Length)];
                _w.WriteString("status", "completed");
                _w.WriteStartArray("medium");
                Concept(null, OutreachSystem, medium, medium);
                _w.WriteEndArray();
                Reference("subject", patient);
                _w.WriteStartArray("about");
                Reference(null, "Task/" + SyntheticData.IdOf(member.Index, task));
                _w.WriteEndArray();
                _w.WriteString("sent", SyntheticData.TimeIn(r));
                _w.WriteStartArray("recipient");
                Reference(null, patient);
                _w.WriteEndArray();
                Reference("sender", "Organization/" + OrganizationId(_data.TaskFacts(member.Index, task).Vendor));
                _w.WriteStartArray("payload");
                _w.WriteStartObject();
                _w.WriteString("contentString", $"Reminder for {member.Given}: please call us back about your care.");
                _w.WriteEndObject();
                _w.WriteEndArray();
                break;
        }
        return (type, id, End());
    }

    void WritePatient(Member m)
    {
        _w.WriteStartArray("identifier");
        _w.WriteStartObject();
        _w.WriteString("use", "official");
        Concept("type", "http://terminology.hl7.org/CodeSystem/v2-0203", "MB", "Member Number");
        _w.WriteString("system", SyntheticData.MemberIdSystem);
        _w.WriteString("value", m.MemberId);
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteBoolean("active", true);
        _w.WriteStartArray("name");
        _w.WriteStartObject();
        _w.WriteString("use", "official");
        _w.WriteString("family", m.Family);
        _w.WriteStartArray("given");
        _w.WriteStringValue(m.Given);
        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteStartArray("telecom");
        _w.WriteStartObject();
        _w.WriteString("system", "phone");
        _w.WriteString("value", m.Phone);
        _w.WriteString("use", "mobile");
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteString("gender", m.Gender);
        _w.WriteString("birthDate", m.BirthDate.ToString("yyyy-MM-dd"));
        _w.WriteStartArray("address");
        _w.WriteStartObject();
        _w.WriteString("use", "home");
        _w.WriteStartArray("line");
        _w.WriteStringValue(m.Line);
        _w.WriteEndArray();
        _w.WriteString("city", m.City.City);
        _w.WriteString("state", m.City.State);
        _w.WriteString("postalCode", m.City.Zip);
        _w.WriteString("country", "US");
        _w.WriteEndObject();
        _w.WriteEndArray();
    }

    void WriteObservation(Kind kind, Random r, string patient)
    {
        var laboratory = kind is Kind.HbA1c or Kind.Ldl;
        _w.WriteString("status", "final");
        _w.WriteStartArray("category");
        Concept(null, "http://terminology.hl7.org/CodeSystem/observation-category",
            laboratory ? "laboratory" : "vital-signs", laboratory ? "Laboratory" : "Vital Signs");
        _w.WriteEndArray();
        var (code, display) = ObservationCode(kind);
        Concept("code", Loinc, code, display);
        Reference("subject", patient);
        _w.WriteString("effectiveDateTime", SyntheticData.TimeIn(r));
        switch (kind)
        {
            case Kind.HbA1c:
                Quantity("valueQuantity", Math.Round(5.0 + r.NextDouble() * 5.5, 1), "%", "%");
                break;
            case Kind.Bmi:
                Quantity("valueQuantity", Math.Round(18.5 + r.NextDouble() * 20, 1), "kg/m2", "kg/m2");
                break;
            case Kind.Ldl:
                Quantity("valueQuantity", 60 + r.Next(140), "mg/dL", "mg/dL");
                break;
            default:
                var systolic = 100 + r.Next(70);
                _w.WriteStartArray("component");
                foreach (var (c, d, v) in new[] { ("8480-6", "Systolic blood pressure", systolic), ("8462-4", "Diastolic blood pressure", systolic - 30 - r.Next(20)) })
                {
                    _w.WriteStartObject();
                    Concept("code", Loinc, c, d);
                    Quantity("valueQuantity", v, "mm[Hg]", "mm[Hg]");
                    _w.WriteEndObject();
                }
                _w.WriteEndArray();
                break;
        }
    }

    public static (string Code, string Display) ObservationCode(Kind kind) => kind switch
    {
        Kind.HbA1c => ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
        Kind.BloodPressure => ("85354-9", "Blood pressure panel with all children optional"),
        Kind.Bmi => ("39156-5", "Body mass index (BMI) [Ratio]"),
        _ => ("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"),
    };

    void Begin(string type, string id)
    {
        _buffer.ResetWrittenCount();
        _w.Reset(_buffer);
        _w.WriteStartObject();
        _w.WriteString("resourceType", type);
        _w.WriteString("id", id);
    }

    ReadOnlyMemory<byte> End()
    {
        _w.WriteEndObject();
        _w.Flush();
        return _buffer.WrittenMemory;
    }

    void Coding(string? name, string system, string code, string display)
    {
        if (name is null) _w.WriteStartObject(); else _w.WriteStartObject(name);
        _w.WriteString("system", system);
        _w.WriteString("code", code);
        _w.WriteString("display", display);
        _w.WriteEndObject();
    }

    /// <summary>A CodeableConcept with one coding, as property <paramref name="name"/> or as an array item when null.</summary>
    void Concept(string? name, string system, string code, string display)
    {
        if (name is null) _w.WriteStartObject(); else _w.WriteStartObject(name);
        _w.WriteStartArray("coding");
        Coding(null, system, code, display);
        _w.WriteEndArray();
        _w.WriteEndObject();
    }

    void Reference(string? name, string reference)
    {
        if (name is null) _w.WriteStartObject(); else _w.WriteStartObject(name);
        _w.WriteString("reference", reference);
        _w.WriteEndObject();
    }

    void Quantity(string name, double value, string unit, string code)
    {
        _w.WriteStartObject(name);
        _w.WriteNumber("value", value);
        _w.WriteString("unit", unit);
        _w.WriteString("system", Ucum);
        _w.WriteString("code", code);
        _w.WriteEndObject();
    }
}
