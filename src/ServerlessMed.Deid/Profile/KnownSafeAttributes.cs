using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>Text attributes that Table E.1-1 does not name and that are known to be safe: each holds a value defined by
/// the standard, a coding scheme or the equipment (codes, the make and software of a device, acquisition technique,
/// display and LUT labels, algorithm names), never one typed about a patient, a visit or a person. Every other free
/// text outside the table is removed (or cleaned under Clean Descriptors), and in allow-list mode every other text,
/// date and time as well. Add to it only what cannot hold a typed-in value.</summary>
public static class KnownSafeAttributes
{
    private static readonly HashSet<uint> Tags =
    [
        // Coded entries (PS3.3 8.8): the code triplet and where it comes from.
        .. Of(DicomTag.CodeValue, DicomTag.CodingSchemeDesignator, DicomTag.CodingSchemeVersion, DicomTag.CodeMeaning,
            DicomTag.LongCodeValue, DicomTag.URNCodeValue, DicomTag.MappingResourceName, DicomTag.ContextGroupVersion,
            DicomTag.ContextGroupLocalVersion, DicomTag.CodingSchemeName),

        // The make of the equipment (not its identity: serial numbers and station names are in the table).
        .. Of(DicomTag.Manufacturer, DicomTag.ManufacturerModelName, DicomTag.SoftwareVersions,
            DicomTag.SecondaryCaptureDeviceManufacturer, DicomTag.SecondaryCaptureDeviceManufacturerModelName,
            DicomTag.SecondaryCaptureDeviceSoftwareVersions),

        // Acquisition technique, as the device names it.
        .. Of(DicomTag.SequenceName, DicomTag.PulseSequenceName, DicomTag.ImagedNucleus, DicomTag.ReceiveCoilName,
            DicomTag.TransmitCoilName, DicomTag.FilterType, DicomTag.ConvolutionKernel, DicomTag.PlateType,
            DicomTag.PhosphorType, DicomTag.ContrastBolusRoute, DicomTag.AcquisitionDeviceProcessingCode,
            DicomTag.ProcessingFunction, DicomTag.TransducerData, DicomTag.DigitalImageFormatAcquired,
            DicomTag.VideoImageFormatAcquired, DicomTag.StageName, DicomTag.EventTimerNames, DicomTag.MultiplexGroupLabel,
            DicomTag.OpticalPathIdentifier, DicomTag.ImageID, DicomTag.PositionReferenceIndicator),

        // Structure, display and LUT labels.
        .. Of(DicomTag.DimensionDescriptionLabel, DicomTag.StackID, DicomTag.RescaleType, DicomTag.WindowCenterWidthExplanation,
            DicomTag.LUTExplanation, DicomTag.ModalityLUTType, DicomTag.LUTLabel),

        // Algorithms, and what an earlier de-identifier wrote about itself (rewritten by ours in any case).
        .. Of(DicomTag.AlgorithmName, DicomTag.AlgorithmVersion, DicomTag.SegmentAlgorithmName, DicomTag.DeidentificationMethod),
    ];

    public static bool Contains(DicomTag tag) => Tags.Contains(tag.Value);

    private static IEnumerable<uint> Of(params DicomTag[] tags) => tags.Select(t => t.Value);
}
