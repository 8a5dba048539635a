using System.Buffers;
using System.Text.Json;

namespace FhirCare.Bench;

/// <summary>
/// Writes realistic US-Core-shaped Patient resources (about 2.5 KB) whose values vary with a counter,
/// into a caller-owned buffer so the hot loop allocates nothing per body but the content wrapper.
/// </summary>
sealed class PatientFactory
{
    static readonly string[] GivenNames =
    [
        "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Isabella", "James",
        "Mia", "William", "Evelyn", "Benjamin", "Harper", "Lucas", "Camila", "Henry", "Gianna", "Theodore",
    ];

    static readonly string[] MiddleNames = ["Grace", "James", "Rose", "Lee", "Marie", "Alexander", "Jane", "Michael"];

    static readonly string[] FamilyNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris",
    ];

    static readonly (string City, string State, string Zip)[] Cities =
    [
        ("Boston", "MA", "02118"), ("Springfield", "IL", "62701"), ("Austin", "TX", "73301"),
        ("Denver", "CO", "80202"), ("Portland", "OR", "97201"), ("Madison", "WI", "53703"),
        ("Raleigh", "NC", "27601"), ("Phoenix", "AZ", "85004"), ("Columbus", "OH", "43215"),
    ];

    static readonly string[] Streets = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Washington Blvd", "Lake Rd"];

    static readonly (string Code, string Display)[] Races =
    [
        ("2106-3", "White"), ("2054-5", "Black or African American"), ("2028-9", "Asian"),
        ("1002-5", "American Indian or Alaska Native"), ("2076-8", "Native Hawaiian or Other Pacific Islander"),
    ];

    static readonly (string Code, string Display)[] Ethnicities =
    [
        ("2135-2", "Hispanic or Latino"), ("2186-5", "Not Hispanic or Latino"),
    ];

    static readonly (string Code, string Display)[] MaritalStatuses =
    [
        ("M", "Married"), ("S", "Never Married"), ("D", "Divorced"), ("W", "Widowed"),
    ];

    static readonly (string Code, string Display)[] Languages =
    [
        ("en-US", "English (United States)"), ("es", "Spanish"), ("zh", "Chinese"), ("vi", "Vietnamese"),
    ];

    static readonly string[] Genders = ["female", "male", "other", "unknown"];

    readonly ArrayBufferWriter<byte> _buffer = new(4096);
    readonly Utf8JsonWriter _writer;

    public PatientFactory()
    {
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>The returned memory is valid until the next call on this instance.</summary>
    public ReadOnlyMemory<byte> Write(long n, string? id = null)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        var given = GivenNames[n % GivenNames.Length];
        var middle = MiddleNames[n / 3 % MiddleNames.Length];
        var family = FamilyNames[n / 7 % FamilyNames.Length];
        var city = Cities[n / 11 % Cities.Length];
        var race = Races[n % Races.Length];
        var ethnicity = Ethnicities[n / 5 % Ethnicities.Length];
        var marital = MaritalStatuses[n / 13 % MaritalStatuses.Length];
        var language = Languages[n / 17 % Languages.Length];
        var gender = Genders[n % 97 == 0 ? 2 + n / 97 % 2 : n % 2];
        var birth = new DateOnly(1930, 1, 1).AddDays((int)(n * 7919 % 32000));

        w.WriteStartObject();
        w.WriteString("resourceType", "Patient");
        if (id is not null)
            w.WriteString("id", id);

        w.WriteStartArray("extension");
        WriteUsCoreCategory(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
            "urn:oid:2.16.840.1.113883.6.238", race.Code, race.Display);
        WriteUsCoreCategory(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
            "urn:oid:2.16.840.1.113883.6.238", ethnicity.Code, ethnicity.Display);
        w.WriteStartObject();
        w.WriteString("url", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex");
        w.WriteString("valueCode", gender == "female" ? "F" : gender == "male" ? "M" : "UNK");
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("identifier");
        w.WriteStartObject();
        w.WriteString("use", "usual");
        w.WriteStartObject("type");
        WriteCodingArray(w, "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical Record Number");
        w.WriteString("text", "Medical Record Number");
        w.WriteEndObject();
        w.WriteString("system", "urn:oid:1.2.36.146.595.217.0.1");
        WriteNumbered(w, "value", "MRN", n);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteStartObject("type");
        WriteCodingArray(w, "http://terminology.hl7.org/CodeSystem/v2-0203", "SS", "Social Security number");
        w.WriteEndObject();
        w.WriteString("system", "http://hl7.org/fhir/sid/us-ssn");
        Span<char> ssn = stackalloc char[11];
        var digits = 100_000_000 + n % 800_000_000;
        for (int i = 10; i >= 0; i--)
        {
            if (i is 3 or 6) { ssn[i] = '-'; continue; }
            ssn[i] = (char)('0' + digits % 10);
            digits /= 10;
        }
        w.WriteString("value", ssn);
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteBoolean("active", n % 50 != 0);

        w.WriteStartArray("name");
        w.WriteStartObject();
        w.WriteString("use", "official");
        w.WriteString("family", family);
        w.WriteStartArray("given");
        w.WriteStringValue(given);
        w.WriteStringValue(middle);
        w.WriteEndArray();
        w.WriteStartArray("prefix");
        w.WriteStringValue(gender == "female" ? "Ms." : "Mr.");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("use", "nickname");
        w.WriteStartArray("given");
        w.WriteStringValue(given[..Math.Min(3, given.Length)]);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("telecom");
        WriteTelecom(w, "phone", "home", n, 1);
        WriteTelecom(w, "phone", "mobile", n, 2);
        w.WriteStartObject();
        w.WriteString("system", "email");
        Span<char> email = stackalloc char[64];
        var length = 0;
        given.AsSpan().ToLowerInvariant(email);
        length += given.Length;
        email[length++] = '.';
        n.TryFormat(email[length..], out var written);
        length += written;
        "@example.org".AsSpan().CopyTo(email[length..]);
        length += "@example.org".Length;
        w.WriteString("value", email[..length]);
        w.WriteString("use", "home");
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteString("gender", gender);
        Span<char> date = stackalloc char[10];
        birth.TryFormat(date, out _, "yyyy-MM-dd");
        w.WriteString("birthDate", date);

        w.WriteStartArray("address");
        w.WriteStartObject();
        w.WriteString("use", "home");
        w.WriteString("type", "both");
        w.WriteStartArray("line");
        Span<char> line = stackalloc char[64];
        (1 + n % 9000).TryFormat(line, out written);
        line[written++] = ' ';
        var street = Streets[n / 19 % Streets.Length];
        street.AsSpan().CopyTo(line[written..]);
        w.WriteStringValue(line[..(written + street.Length)]);
        WriteNumbered(w, null, "Apt ", 1 + n % 40);
        w.WriteEndArray();
        w.WriteString("city", city.City);
        Span<char> district = stackalloc char[8];
        "County ".AsSpan().CopyTo(district);
        district[7] = (char)('A' + n % 26);
        w.WriteString("district", district);
        w.WriteString("state", city.State);
        w.WriteString("postalCode", city.Zip);
        w.WriteString("country", "US");
        w.WriteStartObject("period");
        w.WriteString("start", "2015-06-01");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartObject("maritalStatus");
        WriteCodingArray(w, "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", marital.Code, marital.Display);
        w.WriteString("text", marital.Display);
        w.WriteEndObject();

        w.WriteBoolean("multipleBirthBoolean", false);

        w.WriteStartArray("contact");
        w.WriteStartObject();
        w.WriteStartArray("relationship");
        w.WriteStartObject();
        WriteCodingArray(w, "http://terminology.hl7.org/CodeSystem/v2-0131", "N", "Next-of-Kin");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("name");
        w.WriteString("family", family);
        w.WriteStartArray("given");
        w.WriteStringValue(GivenNames[(n + 7) % GivenNames.Length]);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("telecom");
        WriteTelecom(w, "phone", "mobile", n, 3);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("communication");
        w.WriteStartObject();
        w.WriteStartObject("language");
        WriteCodingArray(w, "urn:ietf:bcp:47", language.Code, language.Display);
        w.WriteString("text", language.Display);
        w.WriteEndObject();
        w.WriteBoolean("preferred", true);
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenMemory;
    }

    static void WriteUsCoreCategory(Utf8JsonWriter w, string url, string system, string code, string display)
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteStartArray("extension");
        w.WriteStartObject();
        w.WriteString("url", "ombCategory");
        w.WriteStartObject("valueCoding");
        w.WriteString("system", system);
        w.WriteString("code", code);
        w.WriteString("display", display);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("url", "text");
        w.WriteString("valueString", display);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteCodingArray(Utf8JsonWriter w, string system, string code, string display)
    {
        w.WriteStartArray("coding");
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("code", code);
        w.WriteString("display", display);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    static void WriteTelecom(Utf8JsonWriter w, string system, string use, long n, int variant)
    {
        Span<char> phone = stackalloc char[12];
        var digits = 2_000_000_000L + (n * 31 + variant * 1_000_003) % 7_999_999_999L;
        for (int i = 11; i >= 0; i--)
        {
            if (i is 3 or 7) { phone[i] = '-'; continue; }
            phone[i] = (char)('0' + digits % 10);
            digits /= 10;
        }
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("value", phone);
        w.WriteString("use", use);
        w.WriteNumber("rank", variant);
        w.WriteEndObject();
    }

    static void WriteNumbered(Utf8JsonWriter w, string? property, string prefix, long n)
    {
        Span<char> value = stackalloc char[prefix.Length + 20];
        prefix.AsSpan().CopyTo(value);
        n.TryFormat(value[prefix.Length..], out var written, "D8");
        if (property is null)
            w.WriteStringValue(value[..(prefix.Length + written)]);
        else
            w.WriteString(property, value[..(prefix.Length + written)]);
    }
}
