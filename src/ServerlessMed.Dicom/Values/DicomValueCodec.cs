using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ServerlessMed.Dicom;

/// <summary>Turns value bytes (little endian) into strings and numbers and back, per VR.</summary>
public static class DicomValueCodec
{
    /// <summary>The whole text of a string value, trailing padding removed (spaces, and NULs for any VR).</summary>
    public static string DecodeText(ReadOnlySpan<byte> bytes, DicomVR vr, DicomEncoding encoding)
    {
        var text = vr.IsTextLike ? encoding.Decode(bytes) : Encoding.Latin1.GetString(bytes);
        return TrimPadding(text, vr);
    }

    /// <summary>The values of a string element: split on backslash for multi-valued VRs.</summary>
    public static string[] DecodeStrings(ReadOnlySpan<byte> bytes, DicomVR vr, DicomEncoding encoding)
    {
        if (bytes.IsEmpty)
        {
            return [];
        }

        var text = vr.IsTextLike ? encoding.Decode(bytes) : Encoding.Latin1.GetString(bytes);
        if (!vr.IsMultiValuedString)
        {
            return [TrimPadding(text, vr)];
        }

        var parts = text.Split('\\');
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = TrimValue(parts[i], vr);
        }

        return parts;
    }

    public static byte[] EncodeStrings(IReadOnlyList<string> values, DicomVR vr, DicomEncoding encoding)
    {
        var text = vr.IsMultiValuedString ? string.Join('\\', values) : values.Count == 0 ? string.Empty : values[0];
        byte[] bytes;
        if (vr.IsTextLike)
        {
            bytes = encoding.Encode(text);
        }
        else
        {
            foreach (var ch in text)
            {
                if (ch > 0x7E || (ch < 0x20 && ch != 0x1B))
                {
                    throw new DicomValueException($"character U+{(int)ch:X4} is outside the default repertoire allowed in {vr}");
                }
            }

            bytes = Encoding.ASCII.GetBytes(text);
        }

        if (vr.MaxLength > 0 && vr.IsString)
        {
            foreach (var v in values)
            {
                if (v.Length > vr.MaxLength)
                {
                    throw new DicomValueException($"a {vr} value may be at most {vr.MaxLength} characters, got {v.Length}");
                }
            }
        }

        return bytes;
    }

    public static string TrimPadding(string text, DicomVR vr)
    {
        _ = vr;
        return text.TrimEnd(' ', '\0');
    }

    private static string TrimValue(string v, DicomVR vr)
    {
        // Leading and trailing spaces are insignificant in these VRs (PS3.5 6.2); trailing only in the others.
        if (vr == DicomVR.DS || vr == DicomVR.IS || vr == DicomVR.AE || vr == DicomVR.CS || vr == DicomVR.DA || vr == DicomVR.DT || vr == DicomVR.TM || vr == DicomVR.UI || vr == DicomVR.AS)
        {
            return v.Trim(' ', '\0');
        }

        return v.TrimEnd(' ', '\0');
    }

    /// <summary>Binary numbers of an element as T (the VR decides the stored type; conversion follows).</summary>
    public static T[] DecodeNumbers<T>(ReadOnlySpan<byte> bytes, DicomVR vr)
        where T : struct, IConvertible
    {
        var n = vr.UnitSize;
        if (vr == DicomVR.OB || vr == DicomVR.UN)
        {
            return [.. bytes.ToArray().Select(b => (T)Convert.ChangeType(b, typeof(T), CultureInfo.InvariantCulture))];
        }

        var count = bytes.Length / n;
        var result = new T[count];
        for (var i = 0; i < count; i++)
        {
            var s = bytes.Slice(i * n, n);
            // Each arm boxed on its own: without the casts the switch's natural type is double, which silently
            // turned 64-bit values into doubles (found by the fuzzer: an OV value overflowed on the way back).
            object v = vr.Code switch
            {
                "US" or "OW" or "AT" => (object)BinaryPrimitives.ReadUInt16LittleEndian(s),
                "SS" => (object)BinaryPrimitives.ReadInt16LittleEndian(s),
                "UL" or "OL" => (object)BinaryPrimitives.ReadUInt32LittleEndian(s),
                "SL" => (object)BinaryPrimitives.ReadInt32LittleEndian(s),
                "FL" or "OF" => (object)BinaryPrimitives.ReadSingleLittleEndian(s),
                "FD" or "OD" => (object)BinaryPrimitives.ReadDoubleLittleEndian(s),
                "SV" => (object)BinaryPrimitives.ReadInt64LittleEndian(s),
                "UV" or "OV" => (object)BinaryPrimitives.ReadUInt64LittleEndian(s),
                _ => throw new DicomValueException($"{vr} is not a binary number VR"),
            };
            try
            {
                result[i] = typeof(T) == v.GetType() ? (T)v : (T)Convert.ChangeType(v, typeof(T), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is OverflowException or InvalidCastException)
            {
                throw new DicomValueException($"a {vr} value does not fit in {typeof(T).Name}");
            }
        }

        return result;
    }

    public static byte[] EncodeNumbers<T>(IReadOnlyList<T> values, DicomVR vr)
        where T : struct, IConvertible
    {
        var n = vr.UnitSize;
        var bytes = new byte[values.Count * n];
        for (var i = 0; i < values.Count; i++)
        {
            var s = bytes.AsSpan(i * n, n);
            var v = values[i];
            switch (vr.Code)
            {
                case "US" or "OW" or "AT": BinaryPrimitives.WriteUInt16LittleEndian(s, v.ToUInt16(CultureInfo.InvariantCulture)); break;
                case "SS": BinaryPrimitives.WriteInt16LittleEndian(s, v.ToInt16(CultureInfo.InvariantCulture)); break;
                case "UL" or "OL": BinaryPrimitives.WriteUInt32LittleEndian(s, v.ToUInt32(CultureInfo.InvariantCulture)); break;
                case "SL": BinaryPrimitives.WriteInt32LittleEndian(s, v.ToInt32(CultureInfo.InvariantCulture)); break;
                case "FL" or "OF": BinaryPrimitives.WriteSingleLittleEndian(s, v.ToSingle(CultureInfo.InvariantCulture)); break;
                case "FD" or "OD": BinaryPrimitives.WriteDoubleLittleEndian(s, v.ToDouble(CultureInfo.InvariantCulture)); break;
                case "SV": BinaryPrimitives.WriteInt64LittleEndian(s, v.ToInt64(CultureInfo.InvariantCulture)); break;
                case "UV" or "OV": BinaryPrimitives.WriteUInt64LittleEndian(s, v.ToUInt64(CultureInfo.InvariantCulture)); break;
                case "OB" or "UN": s[0] = v.ToByte(CultureInfo.InvariantCulture); break;
                default: throw new DicomValueException($"{vr} is not a binary number VR");
            }
        }

        return bytes;
    }

    /// <summary>DS as real files write it: leading/trailing spaces, '+' signs, exponent forms, a comma decimal
    /// separator from some vendors. Throws with the VR named for anything else.</summary>
    public static double ParseDecimalString(string s)
    {
        var t = s.Trim();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        if (double.TryParse(t.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
        {
            return d;
        }

        throw new DicomValueException($"'{Shorten(t)}' is not a DS number");
    }

    public static long ParseIntegerString(string s)
    {
        var t = s.Trim();
        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        // Some writers put "12.0" in IS; accept an integral decimal.
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Abs(d - Math.Round(d)) < 1e-9)
        {
            return (long)Math.Round(d);
        }

        throw new DicomValueException($"'{Shorten(t)}' is not an IS integer");
    }

    private static string Shorten(string s) => s.Length > 20 ? s[..20] + "…" : s;

    internal static ReadOnlySpan<T> Cast<T>(ReadOnlySpan<byte> bytes)
        where T : struct => MemoryMarshal.Cast<byte, T>(bytes);
}
