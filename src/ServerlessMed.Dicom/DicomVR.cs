namespace ServerlessMed.Dicom;

/// <summary>A value representation (PS3.5 6.2). Instances are singletons: compare with ==.</summary>
public sealed class DicomVR
{
    private static readonly Dictionary<ushort, DicomVR> ByCode = [];

    private DicomVR(string code, bool isString, bool longLength, byte padding, int maxLength, int unitSize, bool multiValued, bool textLike)
    {
        Code = code;
        IsString = isString;
        HasLongExplicitLength = longLength;
        PaddingByte = padding;
        MaxLength = maxLength;
        UnitSize = unitSize;
        IsMultiValuedString = multiValued;
        IsTextLike = textLike;
        ByCode[Key(code[0], code[1])] = this;
    }

    /// <summary>Two upper-case letters, e.g. "PN".</summary>
    public string Code { get; }

    /// <summary>The value is character data (a string VR).</summary>
    public bool IsString { get; }

    /// <summary>In explicit VR, the length field is 4 bytes after 2 reserved bytes (OB, OW, SQ, UN, UT, ...).</summary>
    public bool HasLongExplicitLength { get; }

    /// <summary>The byte that pads an odd-length value to even length (space for text, NUL for UI and binary).</summary>
    public byte PaddingByte { get; }

    /// <summary>Maximum length in bytes of one value (characters for text VRs), or 0 when unbounded.</summary>
    public int MaxLength { get; }

    /// <summary>Bytes per number for binary VRs (2 for US/OW, 4 for UL/FL, 8 for FD/OD/SV), 1 otherwise; used for byte swapping.</summary>
    public int UnitSize { get; }

    /// <summary>String VRs whose values are separated by backslash (not LT, ST, UT, UR).</summary>
    public bool IsMultiValuedString { get; }

    /// <summary>Text VRs that may use the Specific Character Set (SH, LO, ST, LT, UT, UC, PN).</summary>
    public bool IsTextLike { get; }

    public bool IsBinaryNumber => !IsString && this != SQ && this != UN && this != OB && this != NONE;

    public static readonly DicomVR NONE = new("NONE", false, false, 0, 0, 1, false, false);
    public static readonly DicomVR AE = new("AE", true, false, (byte)' ', 16, 1, true, false);
    public static readonly DicomVR AS = new("AS", true, false, (byte)' ', 4, 1, true, false);
    public static readonly DicomVR AT = new("AT", false, false, 0, 4, 2, false, false);
    public static readonly DicomVR CS = new("CS", true, false, (byte)' ', 16, 1, true, false);
    public static readonly DicomVR DA = new("DA", true, false, (byte)' ', 8, 1, true, false);
    public static readonly DicomVR DS = new("DS", true, false, (byte)' ', 16, 1, true, false);
    public static readonly DicomVR DT = new("DT", true, false, (byte)' ', 26, 1, true, false);
    public static readonly DicomVR FD = new("FD", false, false, 0, 8, 8, false, false);
    public static readonly DicomVR FL = new("FL", false, false, 0, 4, 4, false, false);
    public static readonly DicomVR IS = new("IS", true, false, (byte)' ', 12, 1, true, false);
    public static readonly DicomVR LO = new("LO", true, false, (byte)' ', 64, 1, true, true);
    public static readonly DicomVR LT = new("LT", true, false, (byte)' ', 10240, 1, false, true);
    public static readonly DicomVR OB = new("OB", false, true, 0, 0, 1, false, false);
    public static readonly DicomVR OD = new("OD", false, true, 0, 0, 8, false, false);
    public static readonly DicomVR OF = new("OF", false, true, 0, 0, 4, false, false);
    public static readonly DicomVR OL = new("OL", false, true, 0, 0, 4, false, false);
    public static readonly DicomVR OV = new("OV", false, true, 0, 0, 8, false, false);
    public static readonly DicomVR OW = new("OW", false, true, 0, 0, 2, false, false);
    public static readonly DicomVR PN = new("PN", true, false, (byte)' ', 64, 1, true, true);
    public static readonly DicomVR SH = new("SH", true, false, (byte)' ', 16, 1, true, true);
    public static readonly DicomVR SL = new("SL", false, false, 0, 4, 4, false, false);
    public static readonly DicomVR SQ = new("SQ", false, true, 0, 0, 1, false, false);
    public static readonly DicomVR SS = new("SS", false, false, 0, 2, 2, false, false);
    public static readonly DicomVR ST = new("ST", true, false, (byte)' ', 1024, 1, false, true);
    public static readonly DicomVR SV = new("SV", false, true, 0, 8, 8, false, false);
    public static readonly DicomVR TM = new("TM", true, false, (byte)' ', 14, 1, true, false);
    public static readonly DicomVR UC = new("UC", true, true, (byte)' ', 0, 1, true, true);
    public static readonly DicomVR UI = new("UI", true, false, 0, 64, 1, true, false);
    public static readonly DicomVR UL = new("UL", false, false, 0, 4, 4, false, false);
    public static readonly DicomVR UN = new("UN", false, true, 0, 0, 1, false, false);
    public static readonly DicomVR UR = new("UR", true, true, (byte)' ', 0, 1, false, false);
    public static readonly DicomVR US = new("US", false, false, 0, 2, 2, false, false);
    public static readonly DicomVR UT = new("UT", true, true, (byte)' ', 0, 1, false, true);
    public static readonly DicomVR UV = new("UV", false, true, 0, 8, 8, false, false);

    private static ushort Key(char a, char b) => (ushort)((a << 8) | b);

    /// <summary>Looks up a VR from the two bytes of an explicit VR header; false for anything not in PS3.5.</summary>
    public static bool TryParse(byte b0, byte b1, out DicomVR vr)
    {
        if (ByCode.TryGetValue(Key((char)b0, (char)b1), out var found) && found != NONE)
        {
            vr = found;
            return true;
        }

        vr = UN;
        return false;
    }

    public static DicomVR Parse(string code)
    {
        if (code.Length == 2 && TryParse((byte)code[0], (byte)code[1], out var vr))
        {
            return vr;
        }

        if (code == "NONE")
        {
            return NONE;
        }

        throw new FormatException($"'{code}' is not a DICOM value representation");
    }

    public override string ToString() => Code;
}
