using System.Text;

namespace ServerlessMed.Dicom;

/// <summary>Specific Character Set (0008,0005) handling, PS3.3 C.12.1.1.2 and PS3.5 section 6.1: single-byte
/// ISO 8859 sets, UTF-8, GB18030/GBK, and ISO 2022 code extensions (Japanese, Korean, Chinese) with escape
/// sequences. The default repertoire is decoded as Latin-1 (as pydicom does) so no byte is lost.</summary>
public sealed class DicomEncoding
{
    private const byte Esc = 0x1B;

    static DicomEncoding()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    private readonly CharsetTerm[] _terms;

    private DicomEncoding(CharsetTerm[] terms, IReadOnlyList<string> names)
    {
        _terms = terms;
        Terms = names;
    }

    public static DicomEncoding Default { get; } = new([CharsetTerm.Lookup("ISO_IR 6")!], []);

    /// <summary>The terms as given in (0008,0005).</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>True when values may contain escape sequences (any ISO 2022 term).</summary>
    public bool UsesCodeExtensions => _terms.Length > 1 || _terms[0].IsIso2022;

    /// <summary>Builds the encoding for the values of (0008,0005). Unknown terms are an error naming the term;
    /// common misspellings ("ISO-IR 100", "ISO_IR100") are accepted as DCMTK and pydicom accept them.</summary>
    public static DicomEncoding FromSpecificCharacterSet(IReadOnlyList<string> values)
    {
        if (values.Count == 0 || (values.Count == 1 && string.IsNullOrWhiteSpace(values[0])))
        {
            return Default;
        }

        var terms = new CharsetTerm[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i].Trim();
            if (v.Length == 0 && i == 0)
            {
                terms[i] = CharsetTerm.Lookup("ISO 2022 IR 6")!;
                continue;
            }

            terms[i] = CharsetTerm.Lookup(v) ?? throw new DicomValueException($"unknown Specific Character Set term '{v}'", DicomTag.SpecificCharacterSet);
        }

        return new DicomEncoding(terms, [.. values]);
    }

    /// <summary>Decodes a text value (all its values, backslash-separated) of a VR that uses the character set.</summary>
    public string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        if (!UsesCodeExtensions)
        {
            return _terms[0].Encoding.GetString(bytes);
        }

        return DecodeIso2022(bytes);
    }

    /// <summary>Encodes text for a VR that uses the character set. With code extensions, each run of
    /// characters is written in the first term that can represent it, with the escape sequence before it
    /// and a return to the initial set before delimiters (PS3.5 6.1.2.5.3).</summary>
    public byte[] Encode(string text)
    {
        if (!UsesCodeExtensions)
        {
            return _terms[0].StrictEncoding.GetBytes(text);
        }

        var output = new List<byte>(text.Length * 2);
        var initial = _terms[0];
        CharsetTerm? g0 = initial, g1 = initial.IsG1 ? initial : null;
        foreach (var ch in text)
        {
            var s = ch.ToString();
            if (ch < 0x80)
            {
                if (g0 != null && !g0.IsAsciiG0)
                {
                    output.AddRange(initial.IsAsciiG0 ? initial.Escape : CharsetTerm.Lookup("ISO 2022 IR 6")!.Escape);
                    g0 = initial.IsAsciiG0 ? initial : CharsetTerm.Lookup("ISO 2022 IR 6");
                }

                output.Add((byte)ch);
                if (ch is '\\' or '^' or '=' or '\r' or '\n')
                {
                    g1 = initial.IsG1 ? initial : null;
                }

                continue;
            }

            var term = _terms.FirstOrDefault(t => t.CanEncode(s))
                ?? throw new DicomValueException($"character U+{(int)ch:X4} cannot be written in Specific Character Set {string.Join('\\', Terms)}");
            if (term.IsG1 ? g1 != term : g0 != term)
            {
                output.AddRange(term.Escape);
                if (term.IsG1)
                {
                    g1 = term;
                }
                else
                {
                    g0 = term;
                }
            }

            output.AddRange(term.EncodeChars(s));
        }

        if (g0 != null && !g0.IsAsciiG0)
        {
            output.AddRange(CharsetTerm.Lookup("ISO 2022 IR 6")!.Escape);
        }

        return [.. output];
    }

    private string DecodeIso2022(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        var initial = _terms[0];
        CharsetTerm g0 = initial.IsG1 ? CharsetTerm.Lookup("ISO 2022 IR 6")! : initial;
        CharsetTerm? g1 = initial.IsG1 ? initial : null;
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == Esc)
            {
                var term = CharsetTerm.MatchEscape(bytes[i..], out var escLength);
                if (term is null)
                {
                    // Unknown escape: keep the byte visible rather than failing the whole value.
                    sb.Append('\u001B');
                    i++;
                    continue;
                }

                if (term.IsG1)
                {
                    g1 = term;
                }
                else
                {
                    g0 = term;
                }

                i += escLength;
                continue;
            }

            if (b < 0x80)
            {
                if (g0.BytesPerChar == 2 && b >= 0x21)
                {
                    if (i + 1 >= bytes.Length)
                    {
                        break;
                    }

                    sb.Append(g0.DecodeChars(bytes.Slice(i, 2)));
                    i += 2;
                    continue;
                }

                sb.Append((char)b);
                i++;
                if (b is (byte)'\\' or (byte)'^' or (byte)'=' or 0x0D or 0x0A or 0x09 or 0x0C)
                {
                    // Delimiters switch back to the initial code element (PS3.5 6.1.2.5.3).
                    g0 = initial.IsG1 ? CharsetTerm.Lookup("ISO 2022 IR 6")! : initial;
                    g1 = initial.IsG1 ? initial : null;
                }

                continue;
            }

            var set = g1 ?? CharsetTerm.Lookup("ISO 2022 IR 100")!;
            if (set.BytesPerChar == 2)
            {
                if (i + 1 >= bytes.Length)
                {
                    break;
                }

                sb.Append(set.DecodeChars(bytes.Slice(i, 2)));
                i += 2;
            }
            else
            {
                sb.Append(set.DecodeChars(bytes.Slice(i, 1)));
                i++;
            }
        }

        return sb.ToString();
    }
}
