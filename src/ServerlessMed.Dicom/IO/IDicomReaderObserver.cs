namespace ServerlessMed.Dicom.IO;

/// <summary>Receives the structure of a dataset as the reader parses it (after fo-dicom's IDicomReaderObserver).
/// Building a <see cref="DicomDataset"/> is one observer; a transform that writes as it reads is another.</summary>
public interface IDicomReaderObserver
{
    void OnElement(DicomTag tag, DicomVR vr, DicomBuffer value);

    /// <summary>A public attribute encoded as UN whose value cannot be read with its dictionary VR: opaque bytes
    /// (see <see cref="DicomElement.IsUndecodable"/>).</summary>
    void OnUndecodableElement(DicomTag tag, DicomBuffer value);

    void OnBeginSequence(DicomTag tag, DicomVR vr);

    void OnBeginSequenceItem();

    void OnEndSequenceItem();

    void OnEndSequence();

    void OnBeginFragmentSequence(DicomTag tag, DicomVR vr);

    /// <summary>The first call after OnBeginFragmentSequence is the Basic Offset Table item.</summary>
    void OnFragment(DicomBuffer fragment);

    void OnEndFragmentSequence();
}
