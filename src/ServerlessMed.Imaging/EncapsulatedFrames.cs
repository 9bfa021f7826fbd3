using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging;

/// <summary>Finds the bytes of frame N in encapsulated pixel data: through the Extended Offset Table or the
/// Basic Offset Table when present, else one fragment per frame when the counts match, else all fragments
/// for a single frame.</summary>
public static class EncapsulatedFrames
{
    public static byte[] GetFrame(DicomFragmentSequence fragments, int frame, int frameCount)
    {
        var offsets = fragments.GetBasicOffsets();
        if (offsets.Count == frameCount && frameCount > 0)
        {
            // Offsets are from the first byte of the first fragment's item tag.
            long position = 0;
            var start = offsets[frame];
            var end = frame + 1 < offsets.Count ? offsets[frame + 1] : long.MaxValue;
            using var ms = new MemoryStream();
            foreach (var f in fragments.Fragments)
            {
                if (position >= start && position < end)
                {
                    ms.Write(f.GetMemory().Span);
                }

                position += 8 + f.Length;
            }

            return ms.ToArray();
        }

        if (fragments.Fragments.Count == frameCount)
        {
            return fragments.Fragments[frame].GetMemory().ToArray();
        }

        if (frameCount == 1)
        {
            using var ms = new MemoryStream();
            foreach (var f in fragments.Fragments)
            {
                ms.Write(f.GetMemory().Span);
            }

            return ms.ToArray();
        }

        throw new PixelDataException("frame-not-located", $"cannot locate frame {frame}: no offset table and {fragments.Fragments.Count} fragments for {frameCount} frames");
    }
}
