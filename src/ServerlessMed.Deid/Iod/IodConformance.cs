using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Deid.Iod;

/// <summary>Keeps one de-identified instance valid for its IOD after the profile's actions: where an action removed
/// (or emptied) what the IOD requires, a dummy (Type 1) or an empty value (Type 2) goes back; an attribute whose
/// condition names one that was removed goes with it (Responsible Person Role without Responsible Person). Only what
/// the input had is restored, so an input's own defects are neither added to nor hidden.</summary>
internal sealed class IodConformance(IodDefinition iod, Func<string, string> mapUid, Action<string> count)
{
    private const int MaxDummyDepth = 4;

    private IReadOnlyDictionary<uint, IodAttributeRule>? _topLevel;

    public IodDefinition Iod { get; } = iod;

    /// <summary>Repairs <paramref name="output"/>, the de-identified form of <paramref name="input"/>: the instance
    /// itself (<paramref name="parent"/> 0) or an item of the sequence <paramref name="parent"/>.</summary>
    public void Restore(DicomDataset input, DicomDataset output, uint parent)
    {
        // Which optional modules the instance has: those left in the output; for an IOD the tables lack, those the
        // input had (what the modules of some IOD required of it is kept).
        var rules = parent == 0 ? (_topLevel ??= Iod.TopLevel(Iod.IsGeneric ? input : output)) : null;
        IodAttributeRule? Rule(uint tag) => rules is not null ? rules.GetValueOrDefault(tag) : Iod.Nested(parent, tag);

        List<DicomTag>? dependents = null;
        foreach (var item in output)
        {
            if (Rule(item.Tag.Value) is { DependsOn: not 0 } rule && WasRemoved(input, output, rule.DependsOn))
            {
                (dependents ??= []).Add(item.Tag);
            }
        }

        foreach (var tag in dependents ?? [])
        {
            output.Remove(tag);
            count("iodDependentRemoved");
        }

        List<DicomItem>? restored = null;
        foreach (var item in input)
        {
            var tag = item.Tag;
            if (tag.IsPrivate || tag.IsGroupLength || tag.Group == 0x0002 || Rule(tag.Value) is not { } rule || rule.Type == IodAttributeType.Optional)
            {
                continue;
            }

            if (rule.DependsOn != 0 && !HasValue(output, rule.DependsOn))
            {
                continue; // its condition no longer holds
            }

            var present = output[tag];
            if (present is null && (rule.NeedsValue || rule.NeedsPresence))
            {
                (restored ??= []).Add(rule.NeedsValue ? Dummy(tag, item, rule, 0) : DummyValues.Empty(tag, DummyValues.VRFor(tag, item)));
                count(rule.NeedsValue ? "iodDummy" : "iodEmpty");
            }
            else if (present is not null && rule.NeedsValue && IsEmpty(present) && !IsEmpty(item))
            {
                (restored ??= []).Add(Dummy(tag, item, rule, 0));
                count("iodDummy");
            }
        }

        foreach (var item in restored ?? [])
        {
            output.AddOrUpdate(item);
        }
    }

    /// <summary>A value for a required attribute: a mapped UID for a UID, an item of dummies for a sequence.</summary>
    public DicomItem Dummy(DicomTag tag, DicomItem? original, IodAttributeRule? rule, int depth)
    {
        var vr = DummyValues.VRFor(tag, original);
        if (vr == DicomVR.SQ)
        {
            var first = (original as DicomSequence)?.Items.FirstOrDefault();
            return new DicomSequence(tag, depth < MaxDummyDepth ? [DummyItem(tag.Value, first, depth + 1)] : []);
        }

        if (vr == DicomVR.UI && original is DicomElement { Length: > 0 } e)
        {
            var uids = DicomValueCodec.DecodeStrings(e.Buffer.GetMemory().Span, DicomVR.UI, DicomEncoding.Default);
            return new DicomElement(tag, DicomVR.UI, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings([.. uids.Select(mapUid)], DicomVR.UI, DicomEncoding.Default)));
        }

        return DummyValues.Element(tag, vr, (original as DicomElement)?.Length ?? 0, rule);
    }

    /// <summary>One item for a required sequence whose content was replaced: a dummy for each Type 1 attribute, an
    /// empty one for each Type 2, and the conditional ones the original item had.</summary>
    private DicomDataset DummyItem(uint sequence, DicomDataset? original, int depth)
    {
        var item = new DicomDataset();
        foreach (var (tagValue, rule) in Iod.ChildrenOf(sequence))
        {
            var tag = new DicomTag((ushort)(tagValue >> 16), (ushort)tagValue);
            var had = original?[tag];
            var conditional = rule.Type is IodAttributeType.ConditionallyRequired or IodAttributeType.ConditionallyRequiredMayBeEmpty;
            if (rule.Type == IodAttributeType.Optional || (conditional && had is null))
            {
                continue;
            }

            item.AddOrUpdate(rule.NeedsValue ? Dummy(tag, had, rule, depth) : DummyValues.Empty(tag, DummyValues.VRFor(tag, had)));
        }

        return item;
    }

    private static bool WasRemoved(DicomDataset input, DicomDataset output, uint tag)
    {
        var t = new DicomTag((ushort)(tag >> 16), (ushort)tag);
        return input[t] is { } had && !IsEmpty(had) && !HasValue(output, tag);
    }

    private static bool HasValue(DicomDataset ds, uint tag) => ds[new DicomTag((ushort)(tag >> 16), (ushort)tag)] is { } item && !IsEmpty(item);

    private static bool IsEmpty(DicomItem item) => item switch
    {
        DicomElement e => e.Length == 0,
        DicomSequence s => s.Items.Count == 0,
        _ => false,
    };
}
