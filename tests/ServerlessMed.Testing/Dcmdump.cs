using System.Text.RegularExpressions;

namespace ServerlessMed.Testing;

/// <summary>DCMTK's dcmdump as an independent reader: the dataset part of its listing, normalised so that
/// encoding choices that do not change content (lengths, explicit vs undefined length, delimiters, group
/// lengths, dcmdump's "??" for VR-less private values) do not count. Defined-length UN values of attributes the
/// dictionary knows are read with their real VR (+uc), as our reader reads them (PS3.5 6.2.2).</summary>
public static partial class Dcmdump
{
    public static string NormalizedDataset(string path)
    {
        var r = ExternalTool.Run("dcmdump", ["+L", "+U8", "+uc", "-q", path]);
        var lines = r.StdOut.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("# Dicom-Data-Set", StringComparison.Ordinal));
        var kept = new List<string>();
        foreach (var raw in lines.Skip(start + 1))
        {
            if (raw.StartsWith("# Used", StringComparison.Ordinal))
            {
                continue;
            }

            var line = LengthComment().Replace(raw, string.Empty).TrimEnd();
            line = SequenceLength().Replace(line, "($1");
            line = line.Replace(") ?? ", ") UN ", StringComparison.Ordinal);
            if (Delimiter().IsMatch(line) || GroupLength().IsMatch(line) || line.Length == 0)
            {
                continue;
            }

            kept.Add(line);
        }

        return string.Join('\n', kept);
    }

    [GeneratedRegex(@" +#.*$")]
    private static partial Regex LengthComment();

    [GeneratedRegex(@"\((Sequence|Item) with (explicit|undefined) length")]
    private static partial Regex SequenceLength();

    [GeneratedRegex(@"^\s*\(fffe,e0(0d|dd)\)")]
    private static partial Regex Delimiter();

    [GeneratedRegex(@"^\s*\([0-9a-f]{4},0000\)")]
    private static partial Regex GroupLength();
}
