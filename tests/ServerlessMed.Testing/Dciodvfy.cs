using System.Text.RegularExpressions;

namespace ServerlessMed.Testing;

/// <summary>dicom3tools' dciodvfy, the standard's IOD validator: its error lines, with byte offsets blanked.</summary>
public static partial class Dciodvfy
{
    public static HashSet<string> Errors(string path)
    {
        var r = ExternalTool.Run("dciodvfy", [path]);
        return [.. (r.StdOut + "\n" + r.StdErr).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Select(l => Offsets().Replace(Uids().Replace(l.Trim(), "UID"), "#"))];
    }

    [GeneratedRegex(@"0x[0-9a-fA-F]+|\b\d{3,}\b")]
    private static partial Regex Offsets();

    // UID values in messages: an error the input had is the same error when it names the mapped UID.
    [GeneratedRegex(@"\b\d+(\.\d+){2,}\b")]
    private static partial Regex Uids();
}
