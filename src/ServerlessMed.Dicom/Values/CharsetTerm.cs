using System.Text;

namespace ServerlessMed.Dicom;

/// <summary>One Defined Term of Specific Character Set: its .NET encoding, its ISO 2022 escape sequence,
/// and whether it is designated to G0 (7-bit) or G1 (high bit set).</summary>
internal sealed class CharsetTerm
{
    private static readonly Dictionary<string, CharsetTerm> ByName = new(StringComparer.Ordinal);
    private static readonly List<CharsetTerm> Extensions = [];

    static CharsetTerm()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        Func<Encoding> latin1 = () => Encoding.Latin1;
        Single("ISO_IR 6", "ISO 2022 IR 6", latin1, [Esc, 0x28, 0x42], asciiG0: true);
        Single("ISO_IR 100", "ISO 2022 IR 100", latin1, [Esc, 0x2D, 0x41]);
        Single("ISO_IR 101", "ISO 2022 IR 101", CodePage(28592), [Esc, 0x2D, 0x42]);
        Single("ISO_IR 109", "ISO 2022 IR 109", CodePage(28593), [Esc, 0x2D, 0x43]);
        Single("ISO_IR 110", "ISO 2022 IR 110", CodePage(28594), [Esc, 0x2D, 0x44]);
        Single("ISO_IR 144", "ISO 2022 IR 144", CodePage(28595), [Esc, 0x2D, 0x4C]);
        Single("ISO_IR 127", "ISO 2022 IR 127", CodePage(28596), [Esc, 0x2D, 0x47]);
        Single("ISO_IR 126", "ISO 2022 IR 126", CodePage(28597), [Esc, 0x2D, 0x46]);
        Single("ISO_IR 138", "ISO 2022 IR 138", CodePage(28598), [Esc, 0x2D, 0x48]);
        Single("ISO_IR 148", "ISO 2022 IR 148", CodePage(28599), [Esc, 0x2D, 0x4D]);
        Single("ISO_IR 203", "ISO 2022 IR 203", CodePage(28605), [Esc, 0x2D, 0x62]);
        Single("ISO_IR 166", "ISO 2022 IR 166", CodePage(874), [Esc, 0x2D, 0x54]);

        // JIS X 0201: G1 katakana (0xA1-0xDF) and G0 romaji.
        var sjis = CodePage(932);
        Add(new CharsetTerm("ISO_IR 13", sjis, [Esc, 0x29, 0x49], g1: true, bytesPerChar: 1, iso2022: false));
        Add(new CharsetTerm("ISO 2022 IR 13", sjis, [Esc, 0x29, 0x49], g1: true, bytesPerChar: 1, iso2022: true));
        Add(new CharsetTerm("ISO 2022 IR 14", latin1, [Esc, 0x28, 0x4A], g1: false, bytesPerChar: 1, iso2022: true) { AsciiG0 = true });

        // Two-byte sets written with the high bit clear (G0, JIS) or set (G1, EUC): decoded through EUC code pages.
        Add(new CharsetTerm("ISO 2022 IR 87", CodePage(51932), [Esc, 0x24, 0x42], g1: false, bytesPerChar: 2, iso2022: true) { SetHighBit = true });
        Add(new CharsetTerm("ISO 2022 IR 159", CodePage(20932), [Esc, 0x24, 0x28, 0x44], g1: false, bytesPerChar: 2, iso2022: true) { SetHighBit = true, Prefix = 0x8F });
        Add(new CharsetTerm("ISO 2022 IR 149", CodePage(51949), [Esc, 0x24, 0x29, 0x43], g1: true, bytesPerChar: 2, iso2022: true));
        Add(new CharsetTerm("ISO 2022 IR 58", CodePage(936), [Esc, 0x24, 0x29, 0x41], g1: true, bytesPerChar: 2, iso2022: true));

        // Stand-alone multi-byte sets (no code extensions).
        Add(new CharsetTerm("ISO_IR 192", () => new UTF8Encoding(false), [], g1: false, bytesPerChar: 0, iso2022: false));
        Add(new CharsetTerm("GB18030", CodePage(54936), [], g1: false, bytesPerChar: 0, iso2022: false));
        Add(new CharsetTerm("GBK", CodePage(936), [], g1: false, bytesPerChar: 0, iso2022: false));
    }

    private const byte Esc = 0x1B;

    private readonly Lazy<Encoding> _encoding;
    private readonly Lazy<Encoding> _strict;

    /// <summary>Code pages are built on first use: most files are ASCII or Latin-1, and building the double-byte
    /// tables (Shift-JIS, EUC, GB) up front cost every process several milliseconds.</summary>
    private CharsetTerm(string name, Func<Encoding> encoding, byte[] escape, bool g1, int bytesPerChar, bool iso2022)
    {
        Name = name;
        _encoding = new Lazy<Encoding>(encoding, LazyThreadSafetyMode.ExecutionAndPublication);
        _strict = new Lazy<Encoding>(() =>
        {
            var strict = (Encoding)_encoding.Value.Clone();
            strict.EncoderFallback = EncoderFallback.ExceptionFallback;
            return strict;
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        Escape = escape;
        IsG1 = g1;
        BytesPerChar = bytesPerChar;
        IsIso2022 = iso2022;
    }

    public string Name { get; }

    public Encoding Encoding => _encoding.Value;

    public Encoding StrictEncoding => _strict.Value;

    public byte[] Escape { get; }

    public bool IsG1 { get; }

    public int BytesPerChar { get; }

    public bool IsIso2022 { get; }

    private bool AsciiG0 { get; init; }

    private bool SetHighBit { get; init; }

    private byte Prefix { get; init; }

    public bool IsAsciiG0 => AsciiG0;

    public static CharsetTerm? Lookup(string term)
    {
        if (ByName.TryGetValue(term, out var t))
        {
            return t;
        }

        // Lenient spellings seen in real files: "ISO-IR 100", "ISO_IR100", "ISO IR 100", lower case.
        var normalized = term.Trim().ToUpperInvariant().Replace('-', '_');
        if (ByName.TryGetValue(normalized, out t))
        {
            return t;
        }

        var m = System.Text.RegularExpressions.Regex.Match(normalized, @"^(ISO[ _]?2022[ _]?)?ISO?[ _]?IR[ _]?(\d+)$");
        if (m.Success)
        {
            var key = (m.Groups[1].Success ? "ISO 2022 IR " : "ISO_IR ") + m.Groups[2].Value;
            ByName.TryGetValue(key, out t);
        }

        return t ?? (normalized is "UTF-8" or "UTF_8" ? ByName["ISO_IR 192"] : null);
    }

    public static CharsetTerm? MatchEscape(ReadOnlySpan<byte> bytes, out int length)
    {
        foreach (var t in Extensions)
        {
            if (t.Escape.Length > 0 && bytes.StartsWith(t.Escape))
            {
                length = t.Escape.Length;
                return t;
            }
        }

        length = 0;
        return null;
    }

    public bool CanEncode(string s)
    {
        if (BytesPerChar == 1 && IsG1 && s[0] < 0x80)
        {
            return false;
        }

        try
        {
            var bytes = StrictEncoding.GetBytes(s);
            return BytesPerChar switch
            {
                2 => bytes.Length == (Prefix != 0 ? 3 : 2) && bytes[0] >= 0x80,
                1 => bytes.Length == 1 && (IsG1 ? bytes[0] >= 0x80 : bytes[0] < 0x80 || !IsIso2022),
                _ => true,
            };
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    public byte[] EncodeChars(string s)
    {
        var bytes = StrictEncoding.GetBytes(s);
        if (Prefix != 0)
        {
            bytes = bytes[1..];
        }

        if (SetHighBit)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] &= 0x7F;
            }
        }

        return bytes;
    }

    public string DecodeChars(ReadOnlySpan<byte> bytes)
    {
        if (!SetHighBit)
        {
            return Encoding.GetString(bytes);
        }

        Span<byte> tmp = stackalloc byte[bytes.Length + 1];
        var n = 0;
        if (Prefix != 0)
        {
            tmp[n++] = Prefix;
        }

        foreach (var b in bytes)
        {
            tmp[n++] = (byte)(b | 0x80);
        }

        return Encoding.GetString(tmp[..n]);
    }

    private static Func<Encoding> CodePage(int codePage) => () => Encoding.GetEncoding(codePage);

    private static void Single(string plain, string iso2022, Func<Encoding> encoding, byte[] escape, bool asciiG0 = false)
    {
        Add(new CharsetTerm(plain, encoding, escape, g1: !asciiG0, bytesPerChar: 1, iso2022: false) { AsciiG0 = asciiG0 });
        Add(new CharsetTerm(iso2022, encoding, escape, g1: !asciiG0, bytesPerChar: 1, iso2022: true) { AsciiG0 = asciiG0 });
    }

    private static void Add(CharsetTerm term)
    {
        ByName[term.Name] = term;
        if (term.IsIso2022 && term.Escape.Length > 0)
        {
            Extensions.Add(term);
        }
    }
}
