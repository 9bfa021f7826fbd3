using System.Text;
using System.Text.RegularExpressions;
using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>Cleans free text for the C action (Clean Descriptors, Clean Structured Content, Clean Graphics): removes
/// every token that the instance's identifying attributes hold (person names by component, so in any order and case;
/// ids, numbers, addresses, at any depth), and by pattern what has an identifier's shape whoever it belongs to (dates
/// in the common formats, phone numbers, record numbers). UIDs a text quotes are replaced by their mapped values, so
/// a report's references stay consistent with the de-identified instances. What is removed becomes "***".</summary>
/// <remarks>Built per instance and lazily: the needles are collected on the first text cleaned, and matched by
/// ordinal search (building a regular expression per instance cost more than the cleaning).</remarks>
public sealed partial class TextScrubber
{
    public const string Removed = "***";

    private readonly DicomDataset _source;
    private readonly Func<string, string>? _mapUid;
    private string[]? _needles;

    private TextScrubber(DicomDataset source, Func<string, string>? mapUid)
    {
        _source = source;
        _mapUid = mapUid;
    }

    /// <summary>A scrubber for the text of <paramref name="ds"/>; <paramref name="mapUid"/> replaces quoted UIDs
    /// (null keeps them, as the Retain UIDs option does).</summary>
    public static TextScrubber FromDataset(DicomDataset ds, Func<string, string>? mapUid = null) => new(ds, mapUid);

    public string Clean(string text)
    {
        _needles ??= BuildNeedles(_source);
        try
        {
            return CleanShapes(_needles.Length == 0 ? text : RemoveNeedles(text, _needles));
        }
        catch (RegexMatchTimeoutException)
        {
            return Removed; // pathological text: none of it is kept
        }
    }

    /// <summary>Every shape below has a digit in it: text without one (most labels) is not searched.</summary>
    private string CleanShapes(string text) => text.AsSpan().IndexOfAnyInRange('0', '9') < 0 ? text :
        Shapes().Replace(text, m =>
        {
            if (m.Groups["uid"].Success)
            {
                return _mapUid is null ? m.Value : _mapUid(m.Value);
            }

            if (m.Groups["phone"].Success && m.Value.Count(char.IsAsciiDigit) < 7)
            {
                return m.Value; // a pair of measurements, not a phone number
            }

            if (m.Groups["labelled"].Success)
            {
                return m.Value[..(m.Groups["labelled"].Index - m.Index)] + Removed;
            }

            return Removed;
        });

    /// <summary>The instance's own identifying values (see <see cref="Collect"/>): what free text is cleaned of here, and
    /// what the export's leak gate looks for (as keyed fingerprints, see <see cref="IdentifierFingerprints"/>).</summary>
    public static IEnumerable<string> IdentifyingValues(DicomDataset ds)
    {
        var needles = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Collect(ds, needles);
        return needles;
    }

    /// <summary>The instance's identifying values, longest first, so that a name is removed before a part of it.</summary>
    private static string[] BuildNeedles(DicomDataset ds) =>
        [.. IdentifyingValues(ds).OrderByDescending(n => n.Length).ThenBy(n => n, StringComparer.Ordinal)];

    /// <summary>Each needle, case-insensitively, as a whole token (a name component "Li" does not remove it from
    /// "Liver"), replaced by <see cref="Removed"/>.</summary>
    private static string RemoveNeedles(string text, string[] needles)
    {
        foreach (var n in needles)
        {
            var at = text.IndexOf(n, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                continue;
            }

            var sb = new StringBuilder(text.Length);
            var from = 0;
            for (; at >= 0; at = text.IndexOf(n, at + 1, StringComparison.OrdinalIgnoreCase))
            {
                var end = at + n.Length;
                if (at < from || (Bounded(n[0]) && at > 0 && char.IsLetterOrDigit(text[at - 1])) || (Bounded(n[^1]) && end < text.Length && char.IsLetterOrDigit(text[end])))
                {
                    continue;
                }

                sb.Append(text, from, at - from).Append(Removed);
                from = end;
            }

            text = from == 0 ? text : sb.Append(text, from, text.Length - from).ToString();
        }

        return text;
    }

    /// <summary>Whether a token edge needs a word boundary: letters and digits of alphabetic scripts do; CJK ideographs
    /// and kana do not (those scripts write words without spaces, so "久留善文" holds the family name "久留").</summary>
    private static bool Bounded(char c) => char.IsLetterOrDigit(c) && c < '\u2E80';

    /// <summary>Person names anywhere (each word of each component group), and the short values (ids, numbers,
    /// names of places and organisations, addresses and their parts) of every attribute that Table E.1-1 removes or
    /// replaces outright; not its descriptors (those a Clean option may keep), whose words are not identifiers.</summary>
    private static void Collect(DicomDataset ds, HashSet<string> needles)
    {
        var profile = ConfidentialityProfile.Standard;
        foreach (var item in ds)
        {
            if (item is DicomSequence sq)
            {
                foreach (var child in sq.Items)
                {
                    Collect(child, needles);
                }

                continue;
            }

            var vr = item.ValueRepresentation == DicomVR.UN && !item.Tag.IsPrivate ? item.Tag.DictionaryEntry.DefaultVR : item.ValueRepresentation;
            if (item is not DicomElement { Length: > 0 and < 4096 } e || !(vr == DicomVR.PN || vr == DicomVR.SH || vr == DicomVR.LO || vr == DicomVR.AE || vr == DicomVR.UC || vr == DicomVR.ST))
            {
                continue;
            }

            if (vr != DicomVR.PN && !(profile.Find(item.Tag) is { } row && IsIdentifying(row)))
            {
                continue;
            }

            string[] values;
            try
            {
                values = DicomValueCodec.DecodeStrings(e.Buffer.GetMemory().Span, vr, vr.IsTextLike ? ds.Encoding : DicomEncoding.Default);
            }
            catch (DicomException)
            {
                continue;
            }

            foreach (var v in values)
            {
                AddValue(v, vr == DicomVR.PN, needles);
            }
        }
    }

    private static void AddValue(string value, bool isName, HashSet<string> needles)
    {
        var v = value.Trim();
        if (isName)
        {
            var name = DicomPersonName.Parse(v);
            foreach (var c in name.AllComponents())
            {
                foreach (var word in c.Split([' ', ',', '.'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (word.Length >= 2)
                    {
                        needles.Add(word);
                    }
                }
            }

            return;
        }

        if (v.Length >= 3)
        {
            needles.Add(v);
        }

        // An address or a list: its parts are identifying on their own ("12 Main Street", "Springfield").
        foreach (var part in v.Split([',', ';', '^', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Length >= 4 && part != v)
            {
                needles.Add(part);
            }
        }
    }

    private static bool IsIdentifying(ProfileRow row) =>
        row.BasicAction is not (ProfileAction.Keep or ProfileAction.Clean)
        && row.OptionActions[(int)DeidOption.CleanDescriptors] != ProfileAction.Clean
        && row.OptionActions[(int)DeidOption.CleanStructuredContent] != ProfileAction.Clean
        && row.OptionActions[(int)DeidOption.CleanGraphics] != ProfileAction.Clean;

    /// <summary>Identifier shapes, in one expression so that each character is looked at once: a UID (mapped, not
    /// removed), a date (ISO, DICOM, day/month/year either way round, with a month's name), a labelled id
    /// ("MRN: 123-45"), a phone number (seven digits or more in groups), a record number (five digits or more).</summary>
    [GeneratedRegex($$"""
        (?<uid>(?<![\w.])[0-2](?:\.(?:0|[1-9][0-9]*)){3,}(?!\w|\.\w))
        | (?<date>(?<![\w.])(?:
              (?:19|20)[0-9]{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])
            | (?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|[12][0-9]|3[01])[-/.](?:[0-9]{4}|[0-9]{2})
            | (?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])
            | [0-9]{1,2}(?:st|nd|rd|th)?[\s\-/]+(?:of\s+)?{{Month}}\.?,?[\s\-/]+[0-9]{2,4}
            | {{Month}}\.?[\s\-/]+[0-9]{1,2}(?:st|nd|rd|th)?,?[\s\-/]+[0-9]{4}
            | {{Month}}\.?[\s\-/]+[0-9]{4}
          )(?!\w|\.\w))
        | (?<lab>(?<![\w])(?:MRN|MR\s*\#|medical\s+record|record|chart|acc(?:ession)?|account|patient\s*id|id|ssn|nhs)\b\s*(?:no\.?|number|\#)?\s*[:\#]?\s*)(?<labelled>(?=[A-Za-z0-9\-/]*[0-9])[A-Za-z0-9][A-Za-z0-9\-/]{2,})
        | (?<phone>(?<![\w.])(?:\+[0-9]{1,3}[\s.\-]?)?(?:\([0-9]{1,4}\)[\s.\-]?)?[0-9]{2,4}(?:[\s.\-][0-9]{2,4}){1,3}(?!\w|\.\w))
        | (?<record>(?<![\w.])[A-Za-z]{0,4}[\-\#]?[0-9]{5,}[A-Za-z]?(?!\w|\.\w))
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 2000)]
    private static partial Regex Shapes();

    private const string Month = "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
}
