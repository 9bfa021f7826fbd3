using System.Text.RegularExpressions;

namespace ServerlessMed.Testing;

/// <summary>dicom3tools' dciodvfy, the standard's IOD validator: its error lines, with byte offsets blanked.</summary>
public static partial class Dciodvfy
{
    public static HashSet<string> Errors(string path)
    {
        var r = ExternalTool.Run("dciodvfy", [path]);
        return [.. (r.StdOut + "\n" + r.StdErr).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Select(l => Offsets().Replace(l.Trim(), "#"))];
    }

    [GeneratedRegex(@"0x[0-9a-fA-F]+|\b\d{3,}\b")]
    private static partial Regex Offsets();
}
