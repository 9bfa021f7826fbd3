namespace ServerlessMed.Dicom.IO;

/// <summary>The streaming dataset parser: reads elements, sequences and fragments from a <see cref="ByteSource"/>
/// and reports them to an observer. Large values on seekable sources are skipped and reported as references.
/// Every malformation becomes a <see cref="DicomFormatException"/> naming the source, offset and tag.</summary>
internal sealed class DicomParser
{
    internal const uint UndefinedLength = 0xFFFFFFFF;

    /// <summary>Longest text value encoded as UN that is loaded to be checked before it takes its dictionary VR.</summary>
    private const int MaxCheckedTextLength = 1 << 20;

    private readonly ByteSource _src;
    private readonly IDicomReaderObserver _observer;
    private readonly DicomReaderOptions _options;
    private readonly IDicomStreamSource? _streamSource;
    private readonly List<string> _warnings;
    private bool _sequenceEndedInsideItem;
    private int _pixelRepresentation; // the last Pixel Representation read: chooses US or SS for a UN value

    public DicomParser(ByteSource src, IDicomReaderObserver observer, DicomReaderOptions options, IDicomStreamSource? streamSource, List<string> warnings)
    {
        _src = src;
        _observer = observer;
        _options = options;
        _streamSource = streamSource;
        _warnings = warnings;
    }

    /// <summary>Parses the top-level dataset until the end of the stream (or <see cref="DicomReaderOptions.StopAtTag"/>).</summary>
    public void ParseDataset(bool explicitVr, bool bigEndian)
    {
        try
        {
            ReadItems(-1, explicitVr, bigEndian, 0, isItem: false);
        }
        catch (EndOfStreamException)
        {
            throw new DicomTruncatedException("the stream ended inside an element", _options.SourceName, _src.Position);
        }
    }

    private void ReadItems(long end, bool explicitVr, bool bigEndian, int depth, bool isItem)
    {
        while (true)
        {
            if (end >= 0 && _src.Position >= end)
            {
                if (_src.Position > end)
                {
                    throw Error($"an element runs {_src.Position - end} bytes past the end of its item", _src.Position);
                }

                return;
            }

            if (!_src.TryEnsure(4))
            {
                if (isItem)
                {
                    throw new DicomTruncatedException(end < 0 ? "the stream ended inside an item of undefined length (no Item Delimitation Item)" : "the stream ended inside an item", _options.SourceName, _src.Position);
                }

                if (!_src.IsAtEnd)
                {
                    _warnings.Add($"ignored {_src.Peek(4).Length} trailing byte(s) at offset {_src.Position}");
                }

                return;
            }

            var offset = _src.Position;
            var group = _src.ReadUInt16(bigEndian);
            var element = _src.ReadUInt16(bigEndian);
            var tag = new DicomTag(group, element);

            if (group == 0xFFFE)
            {
                var delimiterLength = _src.ReadUInt32(bigEndian);
                _ = delimiterLength;
                if (element == 0xE00D)
                {
                    if (isItem && end < 0)
                    {
                        return;
                    }

                    _warnings.Add($"stray Item Delimitation Item at offset {offset}");
                    continue;
                }

                if (element == 0xE0DD)
                {
                    if (isItem)
                    {
                        // The sequence ended without the item being closed: accept as DCMTK does.
                        _warnings.Add($"Sequence Delimitation Item inside an item at offset {offset}");
                        _sequenceEndedInsideItem = true;
                        return;
                    }

                    _warnings.Add($"stray Sequence Delimitation Item at offset {offset}");
                    continue;
                }

                throw Error("an Item tag (FFFE,E000) where a data element was expected", offset, tag);
            }

            if (depth == 0 && _options.StopAtTag is { } stop && tag >= stop)
            {
                return;
            }

            var (vr, length) = ReadVrAndLength(tag, explicitVr, bigEndian, offset);
            if (vr == DicomVR.UN && length != UndefinedLength && explicitVr && ReadUnknownVR(tag, length, depth, offset))
            {
                continue;
            }

            if (vr == DicomVR.SQ || (length == UndefinedLength && (vr == DicomVR.UN || !explicitVr) && tag != DicomTag.PixelData))
            {
                // PS3.5 6.2.2: UN with undefined length holds an implicit VR little endian sequence.
                var itemsExplicit = vr == DicomVR.SQ && explicitVr;
                var itemsBigEndian = vr == DicomVR.SQ && bigEndian;
                ReadSequence(tag, length, itemsExplicit, itemsBigEndian, depth, offset);
                continue;
            }

            if (length == UndefinedLength)
            {
                if (tag == DicomTag.PixelData || vr == DicomVR.OB || vr == DicomVR.OW)
                {
                    ReadFragments(tag, vr == DicomVR.OW ? DicomVR.OW : DicomVR.OB, bigEndian, offset);
                    continue;
                }

                throw Error($"undefined length on a {vr} element (only SQ, UN and encapsulated pixel data may have one)", offset, tag);
            }

            var swapUnit = bigEndian && vr.IsBinaryNumber ? vr.UnitSize : 1;
            var value = ReadValue(tag, length, swapUnit, offset);
            if (tag.Value == 0x00280103 && value.Length == 2 && value.IsLoaded)
            {
                _pixelRepresentation = value.GetMemory().Span[0];
            }

            _observer.OnElement(tag, vr, value);
        }
    }

    /// <summary>PS3.5 6.2.2: UN is for attributes whose VR the writer did not know; a reader that knows it reads the
    /// value with it. A Private Creator is LO (UN is not allowed for it); a public attribute the dictionary lists takes
    /// its dictionary VR, and a sequence's bytes are implicit VR little endian items. UN bytes are read as little
    /// endian whatever the transfer syntax (the writer that did not know the VR could not have swapped them). A value
    /// that is not what its VR says is passed on as undecodable. False for what stays UN (private data, attributes
    /// the dictionary does not list).</summary>
    private bool ReadUnknownVR(DicomTag tag, uint length, int depth, long offset)
    {
        var vr = DictionaryVRForUN(tag, length);
        if (vr == DicomVR.UN)
        {
            return false;
        }

        if (vr == DicomVR.SQ)
        {
            ReadUnknownVRSequence(tag, length, depth, offset);
            return true;
        }

        // Text is checked, so it is read now whatever its length (up to a bound): a deferred value could not be.
        var value = ReadValue(tag, length, 1, offset, load: vr.IsString && length <= MaxCheckedTextLength);
        if (IsValueOf(vr, value))
        {
            _observer.OnElement(tag, vr, value);
        }
        else
        {
            Undecodable(tag, vr, value, offset);
        }

        return true;
    }

    private DicomVR DictionaryVRForUN(DicomTag tag, uint length)
    {
        if (tag.IsPrivate)
        {
            return tag.IsPrivateCreator ? DicomVR.LO : DicomVR.UN;
        }

        if (tag.IsGroupLength)
        {
            return DicomVR.UL;
        }

        var vrs = tag.DictionaryEntry.ValueRepresentations;
        if (vrs.Count == 0 || vrs[0] == DicomVR.NONE)
        {
            return DicomVR.UN;
        }

        if (vrs.Count == 1)
        {
            return vrs[0];
        }

        var chosen = AmbiguousVRResolver.Choose(tag, vrs, _pixelRepresentation);
        return chosen == DicomVR.OW && (length & 1) == 1 && vrs.Contains(DicomVR.OB) ? DicomVR.OB : chosen;
    }

    /// <summary>Whether bytes can be a value of <paramref name="vr"/>: whole numbers of binary values; text without
    /// control bytes other than TAB, LF, FF, CR and ESC (trailing NUL padding allowed). A deferred value is not read
    /// here: only its length is checked.</summary>
    private static bool IsValueOf(DicomVR vr, DicomBuffer value)
    {
        if (!vr.IsString)
        {
            var unit = vr == DicomVR.AT ? 4 : vr.UnitSize;
            return value.Length % unit == 0;
        }

        if (!value.IsLoaded)
        {
            return true;
        }

        var bytes = value.GetMemory().Span.TrimEnd(" \0"u8);
        foreach (var b in bytes)
        {
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0C or 0x0D or 0x1B))
            {
                return false;
            }
        }

        return true;
    }

    private void Undecodable(DicomTag tag, DicomVR vr, DicomBuffer value, long offset)
    {
        _warnings.Add($"element {tag} at offset {offset} is encoded as UN and is not a valid {vr} value; kept as undecodable bytes");
        _observer.OnUndecodableElement(tag, value);
    }

    /// <summary>A sequence encoded as UN with a defined length. Its items are parsed into a recorder first, so that bytes
    /// which turn out not to be implicit VR little endian items reach the observer as one undecodable value, never as
    /// part of a structure: on a seekable source the parse runs in place (large values inside stay deferred) and goes
    /// back on failure; otherwise the value, already in memory, is parsed from there.</summary>
    private void ReadUnknownVRSequence(DicomTag tag, uint length, int depth, long offset)
    {
        if (length > _src.Remaining)
        {
            throw new DicomTruncatedException($"sequence length {length} is larger than the {_src.Remaining} bytes remaining", _options.SourceName, offset, tag);
        }

        var recorder = new ReaderEventRecorder();
        var warningsBefore = _warnings.Count;
        if (_src.CanSeek)
        {
            var start = _src.Position;
            if (TryParseSequence(_src, _streamSource, recorder, tag, length, depth, offset))
            {
                recorder.Replay(_observer);
                return;
            }

            _src.Rewind(start);
            _warnings.RemoveRange(warningsBefore, _warnings.Count - warningsBefore);
            Undecodable(tag, DicomVR.SQ, ReadValue(tag, length, 1, offset), offset);
            return;
        }

        var value = ReadValue(tag, length, 1, offset);
        using (var inner = new ByteSource(new MemoryStream(value.GetMemory().ToArray(), writable: false)))
        {
            if (TryParseSequence(inner, null, recorder, tag, length, depth, offset))
            {
                recorder.Replay(_observer);
                return;
            }
        }

        _warnings.RemoveRange(warningsBefore, _warnings.Count - warningsBefore);
        Undecodable(tag, DicomVR.SQ, value, offset);
    }

    /// <summary>Parses <paramref name="length"/> bytes from the source's position as an implicit VR little endian
    /// sequence into <paramref name="recorder"/>; false when they are not exactly that.</summary>
    private bool TryParseSequence(ByteSource src, IDicomStreamSource? streamSource, ReaderEventRecorder recorder, DicomTag tag, uint length, int depth, long offset)
    {
        var start = src.Position;
        var nested = new DicomParser(src, recorder, _options, streamSource, _warnings) { _pixelRepresentation = _pixelRepresentation };
        try
        {
            nested.ReadSequence(tag, length, false, false, depth, offset);
            return src.Position == start + length;
        }
        catch (Exception e) when (e is DicomFormatException or EndOfStreamException)
        {
            return false;
        }
    }

    private (DicomVR Vr, uint Length) ReadVrAndLength(DicomTag tag, bool explicitVr, bool bigEndian, long offset)
    {
        if (!explicitVr)
        {
            return (ImplicitVR(tag), _src.ReadUInt32(bigEndian));
        }

        var vrBytes = _src.Read(2);
        byte b0 = vrBytes[0], b1 = vrBytes[1];
        if (DicomVR.TryParse(b0, b1, out var vr))
        {
            if (vr.HasLongExplicitLength)
            {
                _src.Read(2);
                return (vr, _src.ReadUInt32(bigEndian));
            }

            return (vr, _src.ReadUInt16(bigEndian));
        }

        // Two printable characters are a VR field that names no VR (two spaces, "XX"): say so, rather than read them
        // as part of an implicit length that then looks impossible.
        if (b0 is >= 0x20 and <= 0x7E && b1 is >= 0x20 and <= 0x7E)
        {
            throw Error($"invalid VR bytes 0x{b0:X2} 0x{b1:X2} (not a value representation)", offset, tag);
        }

        // Not a VR: an element written in implicit VR inside an explicit dataset (seen from some writers).
        // The 4 bytes are then its 32-bit length.
        uint length = bigEndian
            ? (uint)((b0 << 24) | (b1 << 16)) | _src.ReadUInt16(true)
            : b0 | ((uint)b1 << 8) | ((uint)_src.ReadUInt16(false) << 16);
        if (length != UndefinedLength && length > _src.Remaining)
        {
            throw Error($"invalid VR bytes 0x{b0:X2} 0x{b1:X2} (not a value representation, nor the start of an implicit VR length)", offset, tag);
        }

        _warnings.Add($"element {tag} at offset {offset} has no valid explicit VR; read as implicit VR");
        return (ImplicitVR(tag), length);
    }

    internal static DicomVR ImplicitVR(DicomTag tag)
    {
        if (tag.IsGroupLength)
        {
            return DicomVR.UL;
        }

        if (tag.IsPrivate)
        {
            return tag.IsPrivateCreator ? DicomVR.LO : DicomVR.UN;
        }

        var entry = tag.DictionaryEntry;
        var vrs = entry.ValueRepresentations;
        if (vrs.Count == 0 || vrs[0] == DicomVR.NONE)
        {
            return DicomVR.UN;
        }

        // PS3.5 A.1: in implicit VR, "OB or OW" data (pixel data, overlays) is OW.
        return vrs.Count > 1 && vrs.Contains(DicomVR.OW) && vrs[0] == DicomVR.OB ? DicomVR.OW : vrs[0];
    }

    private void ReadSequence(DicomTag tag, uint length, bool explicitVr, bool bigEndian, int depth, long offset)
    {
        if (depth + 1 > _options.MaxSequenceDepth)
        {
            throw new DicomLimitExceededException($"sequences nested deeper than {_options.MaxSequenceDepth} (option MaxSequenceDepth)", _options.SourceName, offset, tag);
        }

        if (length != UndefinedLength && length > _src.Remaining)
        {
            throw new DicomTruncatedException($"sequence length {length} is larger than the {_src.Remaining} bytes remaining", _options.SourceName, offset, tag);
        }

        _observer.OnBeginSequence(tag, DicomVR.SQ);
        var end = length == UndefinedLength ? -1 : _src.Position + length;
        while (true)
        {
            if (end >= 0 && _src.Position >= end)
            {
                break;
            }

            if (!_src.TryEnsure(8))
            {
                throw new DicomTruncatedException("the stream ended inside a sequence", _options.SourceName, _src.Position, tag);
            }

            var itemOffset = _src.Position;
            var g = _src.ReadUInt16(bigEndian);
            var e = _src.ReadUInt16(bigEndian);
            var itemLength = _src.ReadUInt32(bigEndian);
            if (g == 0xFFFE && e == 0xE0DD)
            {
                break;
            }

            if (g == 0xFFFE && e == 0xE00D)
            {
                _warnings.Add($"stray Item Delimitation Item in sequence {tag} at offset {itemOffset}");
                continue;
            }

            if (g != 0xFFFE || e != 0xE000)
            {
                throw Error($"expected an Item (FFFE,E000) in the sequence, found ({g:x4},{e:x4})", itemOffset, tag);
            }

            if (itemLength != UndefinedLength && itemLength > _src.Remaining)
            {
                throw new DicomTruncatedException($"item length {itemLength} is larger than the {_src.Remaining} bytes remaining", _options.SourceName, itemOffset, tag);
            }

            _observer.OnBeginSequenceItem();
            ReadItems(itemLength == UndefinedLength ? -1 : _src.Position + itemLength, explicitVr, bigEndian, depth + 1, isItem: true);
            _observer.OnEndSequenceItem();
            if (_sequenceEndedInsideItem)
            {
                _sequenceEndedInsideItem = false;
                break;
            }
        }

        _observer.OnEndSequence();
    }

    private void ReadFragments(DicomTag tag, DicomVR vr, bool bigEndian, long offset)
    {
        _observer.OnBeginFragmentSequence(tag, vr);
        while (true)
        {
            if (!_src.TryEnsure(8))
            {
                throw new DicomTruncatedException("the stream ended inside encapsulated pixel data (no Sequence Delimitation Item)", _options.SourceName, _src.Position, tag);
            }

            var itemOffset = _src.Position;
            var g = _src.ReadUInt16(bigEndian);
            var e = _src.ReadUInt16(bigEndian);
            var length = _src.ReadUInt32(bigEndian);
            if (g == 0xFFFE && e == 0xE0DD)
            {
                break;
            }

            if (g != 0xFFFE || e != 0xE000 || length == UndefinedLength)
            {
                throw Error($"expected a fragment Item (FFFE,E000) of defined length, found ({g:x4},{e:x4})", itemOffset, tag);
            }

            _observer.OnFragment(ReadValue(tag, length, 1, itemOffset, littleEndianItem: !bigEndian));
        }

        _observer.OnEndFragmentSequence();
    }

    private DicomBuffer ReadValue(DicomTag tag, uint length, int swapUnit, long offset, bool littleEndianItem = false, bool load = false)
    {
        if (length == 0)
        {
            return DicomBuffer.Empty;
        }

        if (length > _options.MaxValueLength)
        {
            throw new DicomLimitExceededException($"value length {length} exceeds the limit of {_options.MaxValueLength} bytes (option MaxValueLength)", _options.SourceName, offset, tag);
        }

        if (length > _src.Remaining)
        {
            throw new DicomTruncatedException($"value length {length} is larger than the {_src.Remaining} bytes remaining", _options.SourceName, offset, tag);
        }

        if (length > _options.LargeValueThreshold && _src.CanSeek && _streamSource is not null && !load)
        {
            var buffer = new StreamRangeBuffer(_streamSource, _src.StreamOffset, length, swapUnit) { FollowsLittleEndianItemHeader = littleEndianItem };
            _src.Skip(length);
            return buffer;
        }

        byte[] bytes;
        try
        {
            bytes = _src.ReadBytes(length);
        }
        catch (EndOfStreamException)
        {
            throw new DicomTruncatedException($"the stream ended inside a value of {length} bytes", _options.SourceName, offset, tag);
        }

        if (swapUnit > 1)
        {
            DicomBuffer.SwapInPlace(bytes, swapUnit);
        }

        return new MemoryBuffer(bytes);
    }

    private DicomFormatException Error(string message, long offset, DicomTag? tag = null) =>
        new(message, _options.SourceName, offset, tag);
}
