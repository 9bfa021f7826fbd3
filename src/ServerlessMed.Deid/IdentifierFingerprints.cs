using System.Globalization;
using System.Text;
using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>Keyed fingerprints of an instance's original identifying values: HMAC-SHA256 under the tenant key (first
/// 128 bits) of each value's normalised forms. Written at ingest beside the audit record, so that later readers of
/// de-identified data (the training-set export's leak gate) can ask "does this text contain an identifier of a source
/// instance?" without anyone keeping the identifiers: without the key a fingerprint reveals nothing, not even for a
/// low-entropy value such as a birth date.</summary>
public sealed class IdentifierFingerprints
{
    /// <summary>Format of the stored fingerprint documents.</summary>
    public const int FormatVersion = 1;

    /// <summary>Longest run of words compared as one value (a name with its titles, an address line).</summary>
    public const int MaxWords = 8;

    /// <summary>Shorter forms are not fingerprinted: two letters match too much ordinary text to mean anything.</summary>
    public const int MinLength = 3;

    private const string Purpose = "identifier-fingerprint";

    private readonly TenantKey _key;
    private readonly HashSet<UInt128> _set = [];
    private readonly Dictionary<string, bool> _checked = new(StringComparer.Ordinal);

    public IdentifierFingerprints(TenantKey key) => _key = key;

    public int Count => _set.Count;

    /// <summary>The fingerprints of one original (not yet de-identified) instance, as hex strings to store: its
    /// identifying values (<see cref="TextScrubber.IdentifyingValues"/>, whole and per name component), its original
    /// dates, and every instance UID it carries (registry UIDs such as SOP classes are not identifying).</summary>
    public static IReadOnlyList<string> Of(DicomDataset original, TenantKey key)
    {
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in TextScrubber.IdentifyingValues(original))
        {
            AddForms(value, forms);
        }

        foreach (var tag in new[] { DicomTag.StudyDate, DicomTag.SeriesDate, DicomTag.AcquisitionDate, DicomTag.ContentDate, DicomTag.PatientBirthDate })
        {
            if (original.TryGetString(tag, out var date) && date.Trim().Length >= MinLength)
            {
                AddForms(date, forms);
            }
        }

        CollectUids(original, forms);
        return [.. forms.Select(f => Fingerprint(key, f)).Distinct().Order().Select(f => f.ToString("x32", CultureInfo.InvariantCulture))];
    }

    /// <summary>Adds stored fingerprints (hex strings from <see cref="Of"/>).</summary>
    public void Add(IEnumerable<string> stored)
    {
        foreach (var s in stored)
        {
            _set.Add(UInt128.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        _checked.Clear();
    }

    /// <summary>True when the text holds, anywhere in it, a value whose fingerprint is in the set: any run of up to
    /// <see cref="MaxWords"/> words (compared with and without the spaces and punctuation between them, in any case)
    /// or any dotted number (a UID).</summary>
    public bool Matches(string text)
    {
        if (_set.Count == 0 || text.Length < MinLength)
        {
            return false;
        }

        if (_checked.TryGetValue(text, out var known))
        {
            return known;
        }

        if (DicomUID.IsValid(text.Trim('\0', ' ')))
        {
            // A UID is one value: only whole, as the original would appear. Runs of its components are not identifiers
            // (the digits of a SOP class UID can spell another instance's short id, e.g. "1.2.840.10008.5.1.4.1.1.77.1.6"
            // holds "77 1 6").
            var whole = _set.Contains(Fingerprint(_key, text.Trim('\0', ' ')));
            _checked[text] = whole;
            return whole;
        }

        var forms = new HashSet<string>(StringComparer.Ordinal);
        var words = Words(text);
        for (var start = 0; start < words.Count; start++)
        {
            for (var n = 1; n <= MaxWords && start + n <= words.Count; n++)
            {
                var window = words.GetRange(start, n);
                forms.Add(string.Join(' ', window));
                forms.Add(string.Concat(window));
            }
        }

        foreach (var uid in DottedNumbers(text))
        {
            forms.Add(uid);
        }

        var hit = forms.Any(f => f.Length >= MinLength && _set.Contains(Fingerprint(_key, f)));
        _checked[text] = hit;
        return hit;
    }

    private static void AddForms(string value, HashSet<string> forms)
    {
        // A person name's components are separated by '^' and its groups by '=': words either way.
        var words = Words(value);
        if (words.Count == 0)
        {
            return;
        }

        forms.Add(string.Join(' ', words));
        forms.Add(string.Concat(words));
        if (words.Count > 1)
        {
            // "Smith^John" also appears as "John Smith".
            forms.Add(string.Join(' ', Enumerable.Reverse(words)));
        }

        forms.RemoveWhere(f => f.Length < MinLength);
    }

    private static void CollectUids(DicomDataset ds, HashSet<string> forms)
    {
        foreach (var item in ds)
        {
            if (item is DicomSequence seq)
            {
                foreach (var child in seq.Items)
                {
                    CollectUids(child, forms);
                }
            }
            else if (item.ValueRepresentation == DicomVR.UI && IsReplacedUid(item.Tag) && ds.TryGetStrings(item.Tag, out var uids))
            {
                foreach (var uid in uids.Select(u => u.Trim('\0', ' ')))
                {
                    if (uid.Length >= MinLength && DicomUID.GetName(uid) is null)
                    {
                        forms.Add(uid);
                    }
                }
            }
        }
    }

    /// <summary>A UID the profile replaces (action U): an instance's own identity. Class and syntax UIDs (SOP class,
    /// transfer syntax, coding schemes, also the ones our registry does not know) identify nobody and are kept.</summary>
    private static bool IsReplacedUid(DicomTag tag) =>
        ConfidentialityProfile.Standard.Find(tag) is { } row && row.BasicAction is ProfileAction.MapUid or ProfileAction.RemoveZeroLengthOrMapUid;

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var raw in text)
        {
            // Full-width forms (U+FF01..U+FF5E, common in CJK text) are the ASCII letters and digits; Unicode
            // normalisation is not available under invariant globalisation, so they are folded here.
            var c = raw is >= '\uFF01' and <= '\uFF5E' ? (char)(raw - 0xFEE0) : raw;
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static IEnumerable<string> DottedNumbers(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inRun = i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.');
            if (inRun && start < 0)
            {
                start = i;
            }
            else if (!inRun && start >= 0)
            {
                var run = text[start..i].Trim('.');
                if (run.Contains('.', StringComparison.Ordinal))
                {
                    yield return run;
                }

                start = -1;
            }
        }
    }

    private static UInt128 Fingerprint(TenantKey key, string form)
    {
        var mac = key.Hmac(Purpose, form);
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(mac), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(mac.AsSpan(8)));
    }
}

/// <summary>The stored document: audit/_fingerprints/{study'}/{sop'}.json.</summary>
public sealed record IdentifierFingerprintRecord(int Version, IReadOnlyList<string> Fingerprints);
