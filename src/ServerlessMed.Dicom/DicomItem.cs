using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Dicom;

/// <summary>One entry of a dataset: an element with a value, a sequence of items, or encapsulated pixel fragments.</summary>
public abstract class DicomItem(DicomTag tag, DicomVR vr)
{
    public DicomTag Tag { get; } = tag;

    public DicomVR ValueRepresentation { get; } = vr;

    /// <summary>Deep copy (deferred values stay references to the same source).</summary>
    public abstract DicomItem Clone();

    public override string ToString() => $"{Tag} {ValueRepresentation}";
}

/// <summary>An element whose value is bytes (little-endian in memory), decoded on request through the
/// owning dataset (which knows the character set).</summary>
public sealed class DicomElement(DicomTag tag, DicomVR vr, DicomBuffer buffer) : DicomItem(tag, vr)
{
    public DicomBuffer Buffer { get; } = buffer;

    public long Length => Buffer.Length;

    /// <summary>The reader found this attribute encoded as UN and could not read it with the VR the dictionary gives it
    /// (PS3.5 6.2.2): a sequence whose bytes are not implicit VR little endian items, a number whose length is not
    /// a whole number of values, text with control bytes. Its bytes are opaque, so nothing may copy them blind: the
    /// de-identifier removes such elements.</summary>
    public bool IsUndecodable { get; init; }

    public override DicomItem Clone() => new DicomElement(Tag, ValueRepresentation, Buffer) { IsUndecodable = IsUndecodable };
}

/// <summary>A sequence (VR SQ): zero or more item datasets.</summary>
public sealed class DicomSequence : DicomItem
{
    public DicomSequence(DicomTag tag, IEnumerable<DicomDataset>? items = null)
        : base(tag, DicomVR.SQ)
    {
        Items = items is null ? [] : [.. items];
    }

    public List<DicomDataset> Items { get; }

    public override DicomItem Clone() => new DicomSequence(Tag, Items.Select(i => i.Clone()));
}

/// <summary>Encapsulated pixel data: the Basic Offset Table item and the fragments (PS3.5 A.4).</summary>
public sealed class DicomFragmentSequence(DicomTag tag, DicomVR vr) : DicomItem(tag, vr)
{
    /// <summary>The first item's bytes: empty, or one 32-bit offset per frame.</summary>
    public DicomBuffer OffsetTable { get; set; } = DicomBuffer.Empty;

    public List<DicomBuffer> Fragments { get; } = [];

    public IReadOnlyList<uint> GetBasicOffsets()
    {
        var bytes = OffsetTable.GetMemory().Span;
        var result = new uint[bytes.Length / 4];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 4)..]);
        }

        return result;
    }

    public override DicomItem Clone()
    {
        var copy = new DicomFragmentSequence(Tag, ValueRepresentation) { OffsetTable = OffsetTable };
        copy.Fragments.AddRange(Fragments);
        return copy;
    }
}
