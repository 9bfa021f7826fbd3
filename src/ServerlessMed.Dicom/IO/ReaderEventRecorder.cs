namespace ServerlessMed.Dicom.IO;

/// <summary>Holds reader events to pass on later, or not at all: a structure the parser is only trying (a sequence
/// encoded as UN) reaches the real observer only once it has parsed whole.</summary>
internal sealed class ReaderEventRecorder : IDicomReaderObserver
{
    private enum Kind : byte
    {
        Element,
        Undecodable,
        BeginSequence,
        BeginItem,
        EndItem,
        EndSequence,
        BeginFragments,
        Fragment,
        EndFragments,
    }

    private readonly List<(Kind Kind, DicomTag Tag, DicomVR? Vr, DicomBuffer? Value)> _events = [];

    public void OnElement(DicomTag tag, DicomVR vr, DicomBuffer value) => _events.Add((Kind.Element, tag, vr, value));

    public void OnUndecodableElement(DicomTag tag, DicomBuffer value) => _events.Add((Kind.Undecodable, tag, null, value));

    public void OnBeginSequence(DicomTag tag, DicomVR vr) => _events.Add((Kind.BeginSequence, tag, vr, null));

    public void OnBeginSequenceItem() => _events.Add((Kind.BeginItem, default, null, null));

    public void OnEndSequenceItem() => _events.Add((Kind.EndItem, default, null, null));

    public void OnEndSequence() => _events.Add((Kind.EndSequence, default, null, null));

    public void OnBeginFragmentSequence(DicomTag tag, DicomVR vr) => _events.Add((Kind.BeginFragments, tag, vr, null));

    public void OnFragment(DicomBuffer fragment) => _events.Add((Kind.Fragment, default, null, fragment));

    public void OnEndFragmentSequence() => _events.Add((Kind.EndFragments, default, null, null));

    public void Replay(IDicomReaderObserver observer)
    {
        foreach (var (kind, tag, vr, value) in _events)
        {
            switch (kind)
            {
                case Kind.Element:
                    observer.OnElement(tag, vr!, value!);
                    break;
                case Kind.Undecodable:
                    observer.OnUndecodableElement(tag, value!);
                    break;
                case Kind.BeginSequence:
                    observer.OnBeginSequence(tag, vr!);
                    break;
                case Kind.BeginItem:
                    observer.OnBeginSequenceItem();
                    break;
                case Kind.EndItem:
                    observer.OnEndSequenceItem();
                    break;
                case Kind.EndSequence:
                    observer.OnEndSequence();
                    break;
                case Kind.BeginFragments:
                    observer.OnBeginFragmentSequence(tag, vr!);
                    break;
                case Kind.Fragment:
                    observer.OnFragment(value!);
                    break;
                case Kind.EndFragments:
                    observer.OnEndFragmentSequence();
                    break;
            }
        }
    }
}
