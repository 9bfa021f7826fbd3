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

        if (fragments.Fragments.Count > frameCount && frameCount > 1)
        {
            // No offset table and more fragments than frames: each frame starts a new fragment (PS3.5 A.4) with its
            // codestream's start marker, so a fragment that begins with one begins a frame.
            var starts = new List<int>();
            for (var i = 0; i < fragments.Fragments.Count; i++)
            {
                var head = new byte[Math.Min(12, fragments.Fragments[i].Length)];
                fragments.Fragments[i].ReadRange(0, head);
                if (i == 0 || IsCodestreamStart(head))
                {
                    starts.Add(i);
                }
            }

            if (starts.Count == frameCount)
            {
                var end = frame + 1 < starts.Count ? starts[frame + 1] : fragments.Fragments.Count;
                using var ms = new MemoryStream();
                for (var i = starts[frame]; i < end; i++)
                {
                    ms.Write(fragments.Fragments[i].GetMemory().Span);
                }

                return ms.ToArray();
            }
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

    /// <summary>JPEG/JPEG-LS SOI (FFD8), JPEG 2000 SOC (FF4F FF51), or a JP2 signature box.</summary>
    private static bool IsCodestreamStart(ReadOnlySpan<byte> head) =>
        (head.Length >= 2 && head[0] == 0xFF && head[1] == 0xD8)
        || (head.Length >= 4 && head[0] == 0xFF && head[1] == 0x4F && head[2] == 0xFF && head[3] == 0x51)
        || (head.Length >= 8 && head[4] == (byte)'j' && head[5] == (byte)'P' && head[6] == 0x20 && head[7] == 0x20);
}
