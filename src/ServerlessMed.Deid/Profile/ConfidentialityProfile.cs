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

    /// <summary>Reads the embedded table from its UTF-8 bytes with spans. It runs once per process, before the first
    /// instance: the action codes are a dozen strings shared by all rows, not one allocated per cell.</summary>
    private static ConfidentialityProfile Load()
    {
        using var stream = typeof(ConfidentialityProfile).Assembly.GetManifestResourceStream("ServerlessMed.Deid.confidentiality-profile.tsv")
            ?? throw new InvalidOperationException("the embedded PS3.15 profile table is missing");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        ReadOnlySpan<byte> rest = bytes;
        var rows = new List<ProfileRow>(640);
        Span<Range> cells = stackalloc Range[15];
        while (rest.Length > 0)
        {
            var line = Dicom.Text.Tsv.ReadLine(ref rest, out _);
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (Dicom.Text.Tsv.SplitTabs(line, cells) < 14)
            {
                throw new InvalidDataException("the embedded PS3.15 profile table has a row with fewer than 14 cells");
            }

            var options = new ProfileAction[10];
            for (var i = 0; i < options.Length; i++)
            {
                options[i] = ProfileActionCodes.Parse(line[cells[3 + i]]);
            }

            rows.Add(new ProfileRow(
                uint.Parse(line[cells[0]], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(line[cells[1]], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ProfileActionCodes.Parse(line[cells[2]]),
                options,
                System.Text.Encoding.UTF8.GetString(line[cells[13]])));
        }

        return new ConfidentialityProfile(rows);
    }
}

/// <summary>One row: tag (with mask for repeating groups), Basic Profile action, and per-option actions (<see cref="ProfileAction.None"/> when the option says nothing).</summary>
public sealed record ProfileRow(uint Tag, uint Mask, ProfileAction BasicAction, IReadOnlyList<ProfileAction> OptionActions, string Name)
{
    /// <summary>The action that applies with these options: the first enabled option that names one, else the basic profile.</summary>
    public ProfileAction ActionFor(IReadOnlySet<DeidOption> options) => ActionFor([.. options.Order()]);

    /// <summary>As <see cref="ActionFor(IReadOnlySet{DeidOption})"/>, for options already in order (asked per element:
    /// sorting the set each time showed in profiles).</summary>
    public ProfileAction ActionFor(ReadOnlySpan<DeidOption> orderedOptions)
    {
        foreach (var o in orderedOptions)
        {
            var a = OptionActions[(int)o];
            if (a != ProfileAction.None)
            {
                return a;
            }
        }

        return BasicAction;
    }
}
