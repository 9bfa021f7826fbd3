using System.Globalization;
using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>PS3.15 Table E.1-1 as data (generated from the standard by scripts/generate-standard.py):
/// for each attribute, the Basic Profile action and the action under each option.</summary>
public sealed class ConfidentialityProfile
{
    private static readonly Lazy<ConfidentialityProfile> Lazy = new(Load);

    private readonly Dictionary<uint, ProfileRow> _exact;
    private readonly ProfileRow[] _masked;

    private ConfidentialityProfile(List<ProfileRow> rows)
    {
        _exact = rows.Where(r => r.Mask == 0xFFFFFFFF).ToDictionary(r => r.Tag);
        _masked = [.. rows.Where(r => r.Mask != 0xFFFFFFFF && r.Tag != 0xFFFFFFFF)];
        PrivateRow = rows.Single(r => r.Tag == 0xFFFFFFFF);
        Rows = rows;
    }

    public static ConfidentialityProfile Standard => Lazy.Value;

    public IReadOnlyList<ProfileRow> Rows { get; }

    /// <summary>The "(gggg,eeee) where gggg is odd" row.</summary>
    public ProfileRow PrivateRow { get; }

    public ProfileRow? Find(DicomTag tag)
    {
        if (tag.IsPrivate)
        {
            return PrivateRow;
        }

        if (_exact.TryGetValue(tag.Value, out var row))
        {
            return row;
        }

        foreach (var m in _masked)
        {
            if ((tag.Value & m.Mask) == m.Tag)
            {
                return m;
            }
        }

        return null;
    }

    private static ConfidentialityProfile Load()
    {
        using var stream = typeof(ConfidentialityProfile).Assembly.GetManifestResourceStream("ServerlessMed.Deid.confidentiality-profile.tsv")
            ?? throw new InvalidOperationException("the embedded PS3.15 profile table is missing");
        using var reader = new StreamReader(stream);
        var rows = new List<ProfileRow>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var f = line.Split('\t');
            var options = new string[10];
            Array.Copy(f, 3, options, 0, 10);
            rows.Add(new ProfileRow(
                uint.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                f[2],
                options,
                f[13]));
        }

        return new ConfidentialityProfile(rows);
    }
}

/// <summary>One row: tag (with mask for repeating groups), Basic Profile action, and per-option actions (empty when the option says nothing).</summary>
public sealed record ProfileRow(uint Tag, uint Mask, string BasicAction, IReadOnlyList<string> OptionActions, string Name)
{
    /// <summary>The action that applies with these options: the first enabled option that names one, else the basic profile.</summary>
    public string ActionFor(IReadOnlySet<DeidOption> options)
    {
        foreach (var o in options.Order())
        {
            var a = OptionActions[(int)o];
            if (a.Length > 0)
            {
                return a;
            }
        }

        return BasicAction;
    }
}
