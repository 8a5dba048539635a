namespace FhirCare.Bench;

enum Kind { Organization, Patient, Encounter, Condition, HbA1c, BloodPressure, Bmi, Ldl, Procedure, Immunization, CarePlan, Task, Communication }

sealed record Member(int Index, string Id, string MemberId, string Given, string Family, string Gender, DateOnly BirthDate,
    (string City, string State, string Zip) City, string Line, string Phone);

/// <summary>
/// The synthetic population. Everything about member m and its resource in slot k follows from (seed, m, k), so the
/// loader can write references by id and the search scenarios can pick query values without reading the store.
/// Load order: the vendor Organizations, then each member's Patient (slot 0) followed by its other resources.
/// </summary>
sealed class SyntheticData
{
    public const string MemberIdSystem = "https://fhircare.org/fhir/sid/member-id";
    public const int Vendors = 10;
    public static readonly DateTime Start = new(2023, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public const int SpanDays = 3 * 365 + 1;

    /// <summary>Slot k ≥ 1 of a member holds Plan[(k - 1) % Plan.Length]; 11 of the 24 are Observations.</summary>
    static readonly Kind[] Plan =
    [
        Kind.Encounter, Kind.Condition, Kind.HbA1c, Kind.BloodPressure, Kind.Task, Kind.Communication,
        Kind.Bmi, Kind.Immunization, Kind.BloodPressure, Kind.HbA1c, Kind.Encounter, Kind.Procedure,
        Kind.Ldl, Kind.Communication, Kind.CarePlan, Kind.BloodPressure, Kind.HbA1c, Kind.Task,
        Kind.Communication, Kind.Bmi, Kind.Condition, Kind.BloodPressure, Kind.Ldl, Kind.Immunization,
    ];

    static readonly string[] Families =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
        "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
        "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
        "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
        "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
        "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
        "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
        "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
    ];

    static readonly string[] FemaleNames =
    [
        "Olivia", "Emma", "Amelia", "Sophia", "Isabella", "Mia", "Evelyn", "Harper", "Camila", "Gianna",
        "Abigail", "Luna", "Ella", "Elizabeth", "Sofia", "Emily", "Avery", "Scarlett", "Eleanor", "Madison",
        "Mary", "Patricia", "Linda", "Barbara", "Susan", "Dorothy", "Margaret", "Ruth", "Carol", "Ana",
    ];

    static readonly string[] MaleNames =
    [
        "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry", "Theodore",
        "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael", "Mason", "Sebastian", "Ethan",
        "Robert", "John", "David", "Richard", "Joseph", "Charles", "Thomas", "George", "Kenneth", "Jose",
    ];

    static readonly (string City, string State, string Zip)[] Cities =
    [
        ("Boston", "MA", "02118"), ("Springfield", "IL", "62701"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202"),
        ("Portland", "OR", "97201"), ("Madison", "WI", "53703"), ("Raleigh", "NC", "27601"), ("Phoenix", "AZ", "85004"),
        ("Columbus", "OH", "43215"), ("Tampa", "FL", "33602"), ("Fresno", "CA", "93721"), ("Albany", "NY", "12207"),
        ("Tucson", "AZ", "85701"), ("Omaha", "NE", "68102"), ("Richmond", "VA", "23219"), ("Spokane", "WA", "99201"),
    ];

    static readonly string[] Streets = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Washington Blvd", "Lake Rd", "Pine St", "Hillcrest Ave"];

    readonly long[] _first;

    public SyntheticData(long resources, int members, int seed)
    {
        if (members < 1 || resources < Vendors + members)
            throw new ArgumentException($"--resources {resources:N0} is too small for {members:N0} members (needs at least {Vendors} + one Patient each).");
        Resources = resources;
        Members = members;
        Seed = seed;
        var average = (resources - Vendors) / (double)members;
        int low = Math.Max(1, (int)Math.Round(average / 2)), high = Math.Max(low, (int)Math.Round(average * 1.5));
        var counts = new int[members];
        var random = new Random(seed);
        long sum = 0;
        for (var m = 0; m < members; m++)
            sum += counts[m] = random.Next(low, high + 1);
        for (var m = 0; sum != resources - Vendors; m = (m + 1) % members)
        {
            if (sum < resources - Vendors) { counts[m]++; sum++; }
            else if (counts[m] > 1) { counts[m]--; sum--; }
        }
        _first = new long[members + 1];
        for (var m = 0; m < members; m++)
            _first[m + 1] = _first[m] + counts[m];
    }

    public long Resources { get; }
    public int Members { get; }
    public int Seed { get; }

    public int CountOf(int member) => (int)(_first[member + 1] - _first[member]);

    /// <summary>The member and slot of the resource at <paramref name="index"/> in load order (after the Organizations).</summary>
    public (int Member, int Slot) Locate(long index)
    {
        var m = Array.BinarySearch(_first, index);
        if (m < 0) m = ~m - 1;
        return (m, (int)(index - _first[m]));
    }

    public static Kind KindOf(int slot) => slot == 0 ? Kind.Patient : Plan[(slot - 1) % Plan.Length];

    public static bool IsObservation(Kind kind) => kind is Kind.HbA1c or Kind.BloodPressure or Kind.Bmi or Kind.Ldl;

    public static string TypeOf(Kind kind) => IsObservation(kind) ? "Observation" : kind.ToString();

    public static string IdOf(int member, int slot) => KindOf(slot) switch
    {
        Kind.Patient => $"pat-{member}",
        var kind => $"{Prefix(kind)}-{member}-{slot}",
    };

    static string Prefix(Kind kind) => kind switch
    {
        Kind.Encounter => "enc", Kind.Condition => "cond", Kind.Procedure => "proc", Kind.Immunization => "imm",
        Kind.CarePlan => "cp", Kind.Task => "task", Kind.Communication => "comm", _ => "obs",
    };

    /// <summary>The smallest resource count (Patient included) that gives a member <paramref name="n"/> resources of the kind.</summary>
    public static int CountFor(Func<Kind, bool> kind, int n)
    {
        for (int slot = 1, seen = 0; ; slot++)
        {
            if (kind(KindOf(slot)) && ++seen == n)
                return slot + 1;
        }
    }

    public Random RandomFor(int member, int slot) => new(unchecked(Seed * 73856093 ^ member * 19349663 ^ (slot + 1) * 83492791));

    public Member MemberAt(int m)
    {
        var r = RandomFor(m, -1);
        var gender = r.Next(100) switch { < 51 => "female", < 99 => "male", _ => r.Next(2) == 0 ? "other" : "unknown" };
        var given = gender == "male" ? MaleNames[r.Next(MaleNames.Length)] : FemaleNames[r.Next(FemaleNames.Length)];
        var family = Families[r.Next(Families.Length)];
        var birth = new DateOnly(1940, 1, 1).AddDays(r.Next(65 * 365));
        var line = $"{1 + r.Next(9000)} {Streets[r.Next(Streets.Length)]}";
        var phone = $"{200 + r.Next(800)}-555-{r.Next(10000):D4}";
        var memberId = $"M{(m * 7919L + 104729) % 1_000_000_000:D9}";
        return new Member(m, $"pat-{m}", memberId, given, family, gender, birth, Cities[r.Next(Cities.Length)], line, phone);
    }

    /// <summary>A time in the three years of clinical data: 2023-01-01 to 2025-12-31.</summary>
    public static DateTime TimeIn(Random r) => Start.AddDays(r.Next(SpanDays)).AddMinutes(7 * 60 + r.Next(11 * 60));

    /// <summary>Status and owner of the Task in a slot; Communications about it repeat the owner as sender.</summary>
    public (string Status, int Vendor) TaskFacts(int member, int slot)
    {
        var r = RandomFor(member, -2 - slot);
        var status = r.Next(10) switch { < 4 => "requested", < 7 => "in-progress", _ => "completed" };
        return (status, 1 + r.Next(Vendors));
    }

    public static int PreviousTask(int slot)
    {
        while (KindOf(--slot) != Kind.Task) { }
        return slot;
    }
}
