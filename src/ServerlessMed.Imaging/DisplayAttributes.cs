using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging;

/// <summary>The modality and VOI transforms that apply to one frame: from the Pixel Value Transformation and Frame VOI
/// LUT functional groups of an enhanced multi-frame instance (per-frame first, then shared), else from the top-level
/// Rescale, Modality LUT Sequence, Window and VOI LUT Sequence attributes.</summary>
public sealed record DisplayAttributes(
    double Slope,
    double Intercept,
    LookupTable? ModalityLut,
    double? WindowCenter,
    double? WindowWidth,
    string VoiFunction,
    LookupTable? VoiLut)
{
    public static DisplayAttributes For(DicomDataset ds, int frame = 0)
    {
        var signed = ds.GetValueOrDefault(DicomTag.PixelRepresentation, 0) == 1;
        var rescale = FunctionalGroup(ds, frame, DicomTag.PixelValueTransformationSequence) ?? ds;
        var voi = FunctionalGroup(ds, frame, DicomTag.FrameVOILUTSequence) ?? ds;

        var modalityLut = ds.TryGetSequence(DicomTag.ModalityLUTSequence, out var m) && m.Items.Count > 0 ? LookupTable.FromItem(m.Items[0], signed) : null;
        var voiLut = ds.TryGetSequence(DicomTag.VOILUTSequence, out var v) && v.Items.Count > 0 ? LookupTable.FromItem(v.Items[0], signed && modalityLut is null) : null;
        double? center = voi.TryGetValue<double>(DicomTag.WindowCenter, out var c) ? c : null;
        double? width = voi.TryGetValue<double>(DicomTag.WindowWidth, out var w) && w >= 1 ? w : null;
        return new DisplayAttributes(
            rescale.GetValueOrDefault(DicomTag.RescaleSlope, 1.0),
            rescale.GetValueOrDefault(DicomTag.RescaleIntercept, 0.0),
            modalityLut,
            center,
            width,
            voi.GetSingleValueOrDefault(DicomTag.VOILUTFunction, "LINEAR").Trim(),
            voiLut);
    }

    /// <summary>Stored value to modality value (e.g. Hounsfield units): the Modality LUT when there is one, else rescale.</summary>
    public float Modality(float stored) => ModalityLut is { } lut ? lut.Map(stored) : (float)((stored * Slope) + Intercept);

    /// <summary>The frame's item of a functional group macro (e.g. Frame VOI LUT), per-frame before shared; null for
    /// instances without functional groups.</summary>
    private static DicomDataset? FunctionalGroup(DicomDataset ds, int frame, DicomTag macro)
    {
        if (ds.TryGetSequence(DicomTag.PerFrameFunctionalGroupsSequence, out var perFrame) && frame < perFrame.Items.Count
            && perFrame.Items[frame].TryGetSequence(macro, out var own) && own.Items.Count > 0)
        {
            return own.Items[0];
        }

        if (ds.TryGetSequence(DicomTag.SharedFunctionalGroupsSequence, out var shared) && shared.Items.Count > 0
            && shared.Items[0].TryGetSequence(macro, out var common) && common.Items.Count > 0)
        {
            return common.Items[0];
        }

        return null;
    }
}
