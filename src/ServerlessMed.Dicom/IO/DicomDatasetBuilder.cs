namespace ServerlessMed.Dicom.IO;

/// <summary>The observer that builds a <see cref="DicomDataset"/> tree from reader events.</summary>
public sealed class DicomDatasetBuilder : IDicomReaderObserver
{
    private readonly Stack<DicomDataset> _datasets = new();
    private readonly Stack<DicomSequence> _sequences = new();
    private DicomFragmentSequence? _fragments;
    private bool _offsetTableSeen;

    public DicomDatasetBuilder(DicomDataset root) => _datasets.Push(root);

    public DicomDataset Root => _datasets.Last();

    public void OnElement(DicomTag tag, DicomVR vr, DicomBuffer value) => _datasets.Peek().AddOrUpdate(new DicomElement(tag, vr, value));

    public void OnUndecodableElement(DicomTag tag, DicomBuffer value) => _datasets.Peek().AddOrUpdate(new DicomElement(tag, DicomVR.UN, value) { IsUndecodable = true });

    public void OnBeginSequence(DicomTag tag, DicomVR vr)
    {
        var sq = new DicomSequence(tag);
        _datasets.Peek().AddOrUpdate(sq);
        _sequences.Push(sq);
    }

    public void OnBeginSequenceItem()
    {
        var item = new DicomDataset { Parent = _datasets.Peek() };
        _sequences.Peek().Items.Add(item);
        _datasets.Push(item);
    }

    public void OnEndSequenceItem() => _datasets.Pop();

    public void OnEndSequence() => _sequences.Pop();

    public void OnBeginFragmentSequence(DicomTag tag, DicomVR vr)
    {
        _fragments = new DicomFragmentSequence(tag, vr);
        _offsetTableSeen = false;
        _datasets.Peek().AddOrUpdate(_fragments);
    }

    public void OnFragment(DicomBuffer fragment)
    {
        if (!_offsetTableSeen)
        {
            _fragments!.OffsetTable = fragment;
            _offsetTableSeen = true;
        }
        else
        {
            _fragments!.Fragments.Add(fragment);
        }
    }

    public void OnEndFragmentSequence() => _fragments = null;
}
