using System.Collections.Frozen;
using System.Numerics;
using System.Security.Cryptography;

namespace ServerlessMed.Dicom;

/// <summary>Well-known UIDs, the SOP class names of PS3.4 (generated), and UID generation.</summary>
public static partial class DicomUID
{
    /// <summary>ServerlessMed's implementation class UID (2.25 form, derived from the product name).</summary>
    public const string ImplementationClassUid = "2.25.163593574640311938553012093116962137171";

    public const string ImplementationVersionName = "SMED_0_1";

    public const string SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7";

    public const string MultiFrameGrayscaleWordSecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7.3";

    private static readonly Lazy<FrozenDictionary<string, (string Name, string Iod)>> SopClasses =
        new(() => SopClassTable.ToFrozenDictionary(s => s.Uid, s => (s.Name, s.Iod), StringComparer.Ordinal));

    /// <summary>The SOP class name, e.g. "CT Image Storage", or null when not a known SOP class.</summary>
    public static string? GetSopClassName(string uid) => SopClasses.Value.TryGetValue(uid, out var s) ? s.Name : null;

    /// <summary>A name for any UID we know: a SOP class or a transfer syntax.</summary>
    public static string? GetName(string uid) =>
        GetSopClassName(uid) ?? (DicomTransferSyntax.TryLookup(uid, out var ts) ? ts.Name : null);

    /// <summary>A fresh random UID in the 2.25 (UUID-derived) root, as PS3.5 B.2 allows.</summary>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return "2.25." + new BigInteger(bytes, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>True for a syntactically valid UID: digits and dots, no leading zeros, at most 64 chars.</summary>
    public static bool IsValid(string uid)
    {
        if (uid.Length is 0 or > 64)
        {
            return false;
        }

        foreach (var component in uid.Split('.'))
        {
            if (component.Length == 0 || (component.Length > 1 && component[0] == '0') || !component.All(char.IsAsciiDigit))
            {
                return false;
            }
        }

        return true;
    }
}
