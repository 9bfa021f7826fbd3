namespace ServerlessMed.Dicom;

/// <summary>A PN value: up to three component groups (alphabetic, ideographic, phonetic) separated by '=',
/// each of five components (family, given, middle, prefix, suffix) separated by '^'.</summary>
public sealed record DicomPersonName(string Alphabetic, string Ideographic, string Phonetic)
{
    public static DicomPersonName Parse(string value)
    {
        var groups = value.Split('=');
        return new DicomPersonName(groups.ElementAtOrDefault(0) ?? string.Empty, groups.ElementAtOrDefault(1) ?? string.Empty, groups.ElementAtOrDefault(2) ?? string.Empty);
    }

    public string FamilyName => Component(Alphabetic, 0);

    public string GivenName => Component(Alphabetic, 1);

    public string MiddleName => Component(Alphabetic, 2);

    public string Prefix => Component(Alphabetic, 3);

    public string Suffix => Component(Alphabetic, 4);

    /// <summary>Every non-empty component of every group: what a text scrubber must look for.</summary>
    public IEnumerable<string> AllComponents() =>
        new[] { Alphabetic, Ideographic, Phonetic }.SelectMany(g => g.Split('^')).Select(c => c.Trim()).Where(c => c.Length > 0);

    public override string ToString()
    {
        var s = $"{Alphabetic}={Ideographic}={Phonetic}";
        return s.TrimEnd('=');
    }

    private static string Component(string group, int index) => group.Split('^').ElementAtOrDefault(index) ?? string.Empty;
}
