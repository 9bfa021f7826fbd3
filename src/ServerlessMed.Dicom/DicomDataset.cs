using System.Collections;
using System.Globalization;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Dicom;

/// <summary>An ordered set of items keyed by tag, as in fo-dicom. Items of sequences know their parent so that
/// a Specific Character Set in an outer dataset applies inside (PS3.5 7.5.3).</summary>
public sealed class DicomDataset : IEnumerable<DicomItem>
{
    private readonly List<DicomItem> _items = [];
    private DicomEncoding? _encoding;

    public DicomDataset()
    {
    }

    public DicomDataset(IEnumerable<DicomItem> items)
    {
        foreach (var i in items)
        {
            AddOrUpdate(i);
        }
    }

    /// <summary>The dataset that holds the sequence this item belongs to, or null at the top level.</summary>
    public DicomDataset? Parent { get; internal set; }

    public int Count => _items.Count;

    /// <summary>Character set for text values here: this dataset's (0008,0005), else the parent's, else the default.</summary>
    public DicomEncoding Encoding
    {
        get
        {
            if (_encoding is not null)
            {
                return _encoding;
            }

            if (TryGetElement(DicomTag.SpecificCharacterSet, out var cs))
            {
                var terms = DicomValueCodec.DecodeStrings(cs.Buffer.GetMemory().Span, DicomVR.CS, DicomEncoding.Default);
                return _encoding = DicomEncoding.FromSpecificCharacterSet(terms);
            }

            return Parent?.Encoding ?? DicomEncoding.Default;
        }
    }

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public DicomItem? this[DicomTag tag] => IndexOf(tag) is var i and >= 0 ? _items[i] : null;

    public bool TryGetItem(DicomTag tag, out DicomItem item)
    {
        var i = IndexOf(tag);
        item = i >= 0 ? _items[i] : null!;
        return i >= 0;
    }

    public bool TryGetElement(DicomTag tag, out DicomElement element)
    {
        var i = IndexOf(tag);
        element = (i >= 0 ? _items[i] as DicomElement : null)!;
        return element is not null;
    }

    /// <summary>Adds or replaces the item with the same tag, keeping tag order. Sequence items get this dataset as parent.</summary>
    public DicomDataset AddOrUpdate(DicomItem item)
    {
        if (item is DicomSequence sq)
        {
            foreach (var child in sq.Items)
            {
                child.Parent = this;
            }
        }

        if (item.Tag == DicomTag.SpecificCharacterSet)
        {
            _encoding = null;
        }

        // Appending in order is the common case while reading.
        if (_items.Count == 0 || _items[^1].Tag < item.Tag)
        {
            _items.Add(item);
            return this;
        }

        var i = IndexOf(item.Tag);
        if (i >= 0)
        {
            _items[i] = item;
        }
        else
        {
            _items.Insert(~i, item);
        }

        return this;
    }

    public DicomDataset AddOrUpdate(DicomTag tag, params string[] values) => AddOrUpdate(tag, tag.DictionaryEntry.DefaultVR, values);

    public DicomDataset AddOrUpdate(DicomTag tag, DicomVR vr, params string[] values)
    {
        if (!vr.IsString)
        {
            throw new DicomValueException($"cannot set strings on a {vr} element", tag);
        }

        var bytes = DicomValueCodec.EncodeStrings(values, vr, vr.IsTextLike ? Encoding : DicomEncoding.Default);
        if (vr == DicomVR.UI)
        {
            foreach (var v in values)
            {
                if (v.Length > 0 && !DicomUID.IsValid(v))
                {
                    throw new DicomValueException("value is not a valid UID (digits and dots, at most 64 characters)", tag);
                }
            }
        }

        return AddOrUpdate(new DicomElement(tag, vr, DicomBuffer.FromBytes(bytes)));
    }

    public DicomDataset AddOrUpdate<T>(DicomTag tag, DicomVR vr, params T[] values)
        where T : struct, IConvertible
    {
        if (vr.IsString)
        {
            var text = values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty).ToArray();
            return AddOrUpdate(tag, vr, text);
        }

        return AddOrUpdate(new DicomElement(tag, vr, DicomBuffer.FromBytes(DicomValueCodec.EncodeNumbers(values, vr))));
    }

    public bool Remove(DicomTag tag)
    {
        var i = IndexOf(tag);
        if (i < 0)
        {
            return false;
        }

        _items.RemoveAt(i);
        if (tag == DicomTag.SpecificCharacterSet)
        {
            _encoding = null;
        }

        return true;
    }

    public int RemoveAll(Predicate<DicomItem> match) => _items.RemoveAll(match);

    public string GetString(DicomTag tag) =>
        TryGetString(tag, out var s) ? s : throw new DicomValueException("the dataset has no such string element", tag);

    /// <summary>The value as one string (all values joined by backslash), padding removed.</summary>
    public bool TryGetString(DicomTag tag, out string value)
    {
        if (TryGetElement(tag, out var e) && (e.ValueRepresentation.IsString || e.ValueRepresentation == DicomVR.UN))
        {
            value = DicomValueCodec.DecodeText(e.Buffer.GetMemory().Span, e.ValueRepresentation, Encoding);
            return true;
        }

        value = string.Empty;
        return false;
    }

    public string GetSingleValueOrDefault(DicomTag tag, string defaultValue) =>
        TryGetStrings(tag, out var v) && v.Length > 0 ? v[0] : defaultValue;

    public bool TryGetStrings(DicomTag tag, out string[] values)
    {
        if (TryGetElement(tag, out var e) && e.ValueRepresentation.IsString)
        {
            values = DicomValueCodec.DecodeStrings(e.Buffer.GetMemory().Span, e.ValueRepresentation, Encoding);
            return true;
        }

        values = [];
        return false;
    }

    public string[] GetStrings(DicomTag tag) => TryGetStrings(tag, out var v) ? v : [];

    /// <summary>Values converted to T: binary numbers directly, IS/DS parsed leniently.</summary>
    public T[] GetValues<T>(DicomTag tag)
        where T : struct, IConvertible
    {
        if (!TryGetElement(tag, out var e))
        {
            throw new DicomValueException("the dataset has no such element", tag);
        }

        var vr = e.ValueRepresentation;
        if (vr == DicomVR.DS || vr == DicomVR.IS)
        {
            return [.. GetStrings(tag).Where(s => s.Length > 0).Select(s => (T)Convert.ChangeType(vr == DicomVR.DS ? DicomValueCodec.ParseDecimalString(s) : DicomValueCodec.ParseIntegerString(s), typeof(T), CultureInfo.InvariantCulture))];
        }

        if (vr.IsString)
        {
            return [.. GetStrings(tag).Select(s => (T)Convert.ChangeType(s, typeof(T), CultureInfo.InvariantCulture))];
        }

        return DicomValueCodec.DecodeNumbers<T>(e.Buffer.GetMemory().Span, vr);
    }

    public T GetValue<T>(DicomTag tag, int index = 0)
        where T : struct, IConvertible
    {
        var values = GetValues<T>(tag);
        return index < values.Length ? values[index] : throw new DicomValueException($"has {values.Length} values, asked for value {index}", tag);
    }

    public bool TryGetValue<T>(DicomTag tag, out T value)
        where T : struct, IConvertible
    {
        try
        {
            if (Contains(tag))
            {
                var values = GetValues<T>(tag);
                if (values.Length > 0)
                {
                    value = values[0];
                    return true;
                }
            }
        }
        catch (Exception e) when (e is DicomException or FormatException or InvalidCastException or OverflowException)
        {
        }

        value = default;
        return false;
    }

    public T GetValueOrDefault<T>(DicomTag tag, T defaultValue)
        where T : struct, IConvertible => TryGetValue<T>(tag, out var v) ? v : defaultValue;

    public DicomPersonName GetPersonName(DicomTag tag) => DicomPersonName.Parse(GetString(tag));

    /// <summary>A DA, TM, DT element (or a date and a time element combined) as a DateTime.</summary>
    public DateTime GetDateTime(DicomTag dateTag, DicomTag? timeTag = null)
    {
        var date = GetString(dateTag);
        var time = timeTag is { } t && TryGetString(t, out var ts) ? ts : string.Empty;
        return DicomDateTime.Parse(date, time);
    }

    public DicomSequence GetSequence(DicomTag tag) =>
        TryGetSequence(tag, out var sq) ? sq : throw new DicomValueException("the dataset has no such sequence", tag);

    public bool TryGetSequence(DicomTag tag, out DicomSequence sequence)
    {
        sequence = (this[tag] as DicomSequence)!;
        return sequence is not null;
    }

    /// <summary>Deep copy. Deferred large values keep pointing at their source.</summary>
    public DicomDataset Clone()
    {
        var copy = new DicomDataset();
        foreach (var item in _items)
        {
            copy._items.Add(item.Clone());
            if (copy._items[^1] is DicomSequence sq)
            {
                foreach (var child in sq.Items)
                {
                    child.Parent = copy;
                }
            }
        }

        return copy;
    }

    public IEnumerator<DicomItem> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(DicomTag tag)
    {
        int lo = 0, hi = _items.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _items[mid].Tag.Value.CompareTo(tag.Value);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }
}
