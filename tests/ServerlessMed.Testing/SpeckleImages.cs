using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Testing;

/// <summary>Text-free controls for burned-in text detection, built as bench/ServerlessMed.Benchmarks/BurnedInBench.cs
/// builds its speckle cases (same seeds, same pixels): 3x2-pixel speckle grains (grey 0-122) in an ultrasound-like
/// cone on black, whose straight top and slanted sides are sharp black-to-speckle edges. Colour instances are US, grey
/// ones OT; both are in the default policy's OCR modalities. The bench builds its cases with this class too.</summary>
public static class SpeckleImages
{
    /// <summary>The bench's speckle cases: (columns, rows, samples per pixel, bits).</summary>
    public static readonly (int Columns, int Rows, int SamplesPerPixel, int Bits)[] BenchSizes =
    [
        (256, 256, 3, 8), (320, 240, 3, 8), (640, 480, 3, 8), (640, 480, 1, 8), (800, 600, 3, 8), (1024, 768, 3, 8), (512, 512, 1, 16), (1024, 1024, 1, 16),
    ];

    /// <param name="noise">Every pixel random instead (the bench's worst case for OCR).</param>
    public static DicomFile Build(int columns, int rows, int samplesPerPixel, int bits, bool noise = false)
    {
        var spp = samplesPerPixel;
        var random = new Random(columns + rows + spp);
        var grains = new byte[((columns / 3) + 1) * ((rows / 2) + 1)];
        random.NextBytes(grains);
        var size = bits / 8;
        var pixels = new byte[columns * rows * spp * size];
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                var inside = Math.Abs(x - (columns / 2.0)) < (y + 20) * 0.7 && y > rows / 6;
                var v = noise ? random.Next(0, 256) : inside ? (grains[((y / 2) * ((columns / 3) + 1)) + (x / 3)] * 0.4) + random.Next(0, 20) : 0;
                for (var s = 0; s < spp; s++)
                {
                    var o = ((((y * columns) + x) * spp) + s) * size;
                    if (size == 1)
                    {
                        pixels[o] = (byte)v;
                    }
                    else
                    {
                        BitConverter.TryWriteBytes(pixels.AsSpan(o), (ushort)(v * 30));
                    }
                }
            }
        }

        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, spp == 3 ? "1.2.840.10008.5.1.4.1.1.6.1" : "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.10.543.9.{columns}.{rows}.{spp}.{bits}");
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.10.543.9.1");
        ds.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.10.543.9.2");
        ds.AddOrUpdate(DicomTag.Modality, DicomVR.CS, spp == 3 ? "US" : "OT");
        ds.AddOrUpdate<ushort>(DicomTag.SamplesPerPixel, DicomVR.US, (ushort)spp);
        ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, spp == 3 ? "RGB" : "MONOCHROME2");
        if (spp == 3)
        {
            ds.AddOrUpdate<ushort>(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        ds.AddOrUpdate<ushort>(DicomTag.Rows, DicomVR.US, (ushort)rows);
        ds.AddOrUpdate<ushort>(DicomTag.Columns, DicomVR.US, (ushort)columns);
        ds.AddOrUpdate<ushort>(DicomTag.BitsAllocated, DicomVR.US, (ushort)bits);
        ds.AddOrUpdate<ushort>(DicomTag.BitsStored, DicomVR.US, (ushort)bits);
        ds.AddOrUpdate<ushort>(DicomTag.HighBit, DicomVR.US, (ushort)(bits - 1));
        ds.AddOrUpdate<ushort>(DicomTag.PixelRepresentation, DicomVR.US, 0);
        ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, bits == 16 ? DicomVR.OW : DicomVR.OB, DicomBuffer.FromBytes(pixels)));
        return new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
    }
}
