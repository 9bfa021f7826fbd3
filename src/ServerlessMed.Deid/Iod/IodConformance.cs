using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Deid.Iod;

/// <summary>Keeps one de-identified instance valid for its IOD after the profile's actions: where an action removed
/// (or emptied) what the IOD requires, a dummy (Type 1) or an empty value (Type 2) goes back; an attribute whose
/// condition names one that was removed goes with it (Responsible Person Role without Responsible Person). Only what
/// the input had is restored, so an input's own defects are neither added to nor hidden. Per dataset it walks input
/// and output once, side by side (both are in tag order), and asks the IOD only about what was lost.</summary>
internal sealed class IodConformance(IodDefinition iod, Func<string, string> mapUid, Action<string> count)
{
    private const int MaxDummyDepth = 4;

    public IodDefinition Iod { get; } = iod;

    /// <summary>Repairs <paramref name="output"/>, the de-identified form of <paramref name="input"/>: the instance
    /// itself (<paramref name="parent"/> 0) or an item of the sequence <paramref name="parent"/>.</summary>
    public void Restore(DicomDataset input, DicomDataset output, uint parent)
    {
        var lost = Lost(input, output);
        if (lost is null)
        {
            return;
        }

        // At the top level the rules are those of the modules the instance has: those left in the output; for an IOD
        // the tables lack, those the input had (what the modules of some IOD required of it is kept).
        var present = parent == 0 ? Iod.PresentModules(Iod.IsGeneric ? input : output) : null;
        IodAttributeRule? Rule(uint tag) => present is not null ? Iod.TopLevel(tag, present) : Iod.Nested(parent, tag);

        foreach (var had in lost)
        {
            foreach (var dependent in Iod.DependentsOf(parent, had.Tag.Value))
            {
                var tag = new DicomTag((ushort)(dependent >> 16), (ushort)dependent);
                if (output.Contains(tag) && Rule(dependent)?.DependsOn == had.Tag.Value)
                {
                    output.Remove(tag);
                    count("iodDependentRemoved");
                }
            }
        }

        foreach (var had in lost)
        {
            if (Rule(had.Tag.Value) is { Type: not IodAttributeType.Optional } rule)
            {
                RestoreIfLost(had, output, rule);
            }
        }
    }

    /// <summary>The input's public attributes that the output lacks or has emptied, or null when there are none.</summary>
    private static List<DicomItem>? Lost(DicomDataset input, DicomDataset output)
    {
        List<DicomItem>? lost = null;
        using var o = output.GetEnumerator();
        var more = o.MoveNext();
        foreach (var item in input)
        {
            var tag = item.Tag.Value;
            while (more && o.Current.Tag.Value < tag)
            {
                more = o.MoveNext();
            }

            var kept = more && o.Current.Tag.Value == tag;
            if (!item.Tag.IsPrivate && (!kept || (IsEmpty(o.Current) && !IsEmpty(item))))
            {
                (lost ??= []).Add(item);
            }
        }

        return lost;
    }

    /// <summary>Puts back a dummy (Type 1, 1C) or an empty value (Type 2, 2C) for <paramref name="had"/> where the
    /// output lost it or emptied what needs a value; not when its condition names an attribute that is gone.</summary>
    private void RestoreIfLost(DicomItem had, DicomDataset output, IodAttributeRule rule)
    {
        if (rule.DependsOn != 0 && !HasValue(output, rule.DependsOn))
        {
            return;
        }

        var tag = had.Tag;
        var now = output[tag];
        if (now is null)
        {
            output.AddOrUpdate(rule.NeedsValue ? Dummy(tag, had, rule, 0) : DummyValues.Empty(tag, DummyValues.VRFor(tag, had)));
            count(rule.NeedsValue ? "iodDummy" : "iodEmpty");
        }
        else if (rule.NeedsValue && IsEmpty(now))
        {
            output.AddOrUpdate(Dummy(tag, had, rule, 0));
            count("iodDummy");
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

    private static bool HasValue(DicomDataset ds, uint tag) => ds[new DicomTag((ushort)(tag >> 16), (ushort)tag)] is { } item && !IsEmpty(item);

    private static bool IsEmpty(DicomItem item) => item switch
    {
        DicomElement e => e.Length == 0,
        DicomSequence s => s.Items.Count == 0,
        _ => false,
    };
}
