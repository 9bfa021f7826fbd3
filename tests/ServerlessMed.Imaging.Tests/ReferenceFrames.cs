using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging.Tests;

/// <summary>Compares every frame we decode from a compressed file with the frames of the same file decompressed by an
/// independent tool (read back as native pixel data).</summary>
internal static class ReferenceFrames
{
    public static void AssertMatch(string rel, string ourPath, string referencePath, double maxDifference)
    {
        var ours = DicomFile.Open(ourPath);
        var theirs = DicomFile.Open(referencePath);
        var frames = ours.Dataset.GetValueOrDefault(DicomTag.NumberOfFrames, 1);
        for (var f = 0; f < frames; f++)
        {
            var a = FrameDecoder.Decode(ours.Dataset, ours.TransferSyntax, f);
            var b = FrameDecoder.Decode(theirs.Dataset, theirs.TransferSyntax, f);
            Assert.Equal(b.Values.Length, a.Values.Length);
            var worst = -1;
            for (var i = 0; i < a.Values.Length; i++)
            {
                if (Math.Abs(a.Values[i] - b.Values[i]) > maxDifference)
                {
                    worst = i;
                    break;
                }
            }

            Assert.True(worst < 0, worst < 0 ? string.Empty : $"{rel} frame {f} sample {worst}: ours {a.Values[worst]}, reference {b.Values[worst]} (allowed difference {maxDifference})");
        }

        File.Delete(referencePath);
    }
}
