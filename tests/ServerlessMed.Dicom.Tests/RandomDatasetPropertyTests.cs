using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Dicom.Tests;

/// <summary>FsCheck: random datasets (every VR family, private blocks, nested sequences, odd lengths, non-ASCII
/// text under a declared character set) written in each native transfer syntax read back equal.</summary>
public sealed class RandomDatasetPropertyTests
{
    private static readonly DicomTransferSyntax[] Syntaxes =
    [
        DicomTransferSyntax.ExplicitVRLittleEndian, DicomTransferSyntax.ImplicitVRLittleEndian,
        DicomTransferSyntax.ExplicitVRBigEndian, DicomTransferSyntax.DeflatedExplicitVRLittleEndian,
    ];

    [Fact]
    public void Random_datasets_round_trip_in_every_native_syntax()
    {
        var gen = from seed in Gen.Choose(0, int.MaxValue)
                  from size in Gen.Choose(1, 40)
                  from ts in Gen.Elements(Syntaxes)
                  from definedLengths in ArbMap.Default.GeneratorFor<bool>()
                  select (seed, size, ts, definedLengths);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var ds = RandomDataset(new Random(c.seed), c.size, depth: 0);
            var file = new DicomFile(ds, c.ts);
            using var ms = new MemoryStream();
            file.Save(ms, new DicomWriteOptions { ExplicitLengthSequences = c.definedLengths });
            ms.Position = 0;
            var back = DicomFile.Open(ms);
            var diffs = DicomDatasetComparer.Differences(ds, back.Dataset);
            return diffs.Count == 0 && back.TransferSyntax.Uid == c.ts.Uid;
        }).QuickCheckThrowOnFailure();
    }

    private static DicomDataset RandomDataset(Random r, int size, int depth)
    {
        var ds = new DicomDataset();
        if (depth == 0 && r.Next(2) == 0)
        {
            ds.AddOrUpdate(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }

        // Public tags whose dictionary VR matches, so implicit VR reads them back with the same VR.
        (DicomTag Tag, DicomVR Vr)[] candidates =
        [
            (DicomTag.PatientName, DicomVR.PN), (DicomTag.PatientID, DicomVR.LO), (DicomTag.StudyDate, DicomVR.DA),
            (DicomTag.Modality, DicomVR.CS), (DicomTag.SOPInstanceUID, DicomVR.UI), (DicomTag.SliceThickness, DicomVR.DS),
            (DicomTag.SeriesNumber, DicomVR.IS), (DicomTag.StudyDescription, DicomVR.LO), (DicomTag.ImageComments, DicomVR.LT),
            (DicomTag.Rows, DicomVR.US), (DicomTag.SimpleFrameList, DicomVR.UL), (DicomTag.ReferencePixelX0, DicomVR.SL),
            (DicomTag.FrameTime, DicomVR.DS), (DicomTag.RecommendedDisplayFrameRateInFloat, DicomVR.FL),
            (DicomTag.ImagePositionVolume, DicomVR.FD), (DicomTag.FrameIncrementPointer, DicomVR.AT),
            (DicomTag.EncapsulatedDocument, DicomVR.OB), (DicomTag.CurveData, DicomVR.OB),
            (DicomTag.RetrieveURL, DicomVR.UR), (DicomTag.StrainAdditionalInformation, DicomVR.UT),
        ];
        for (var i = 0; i < size; i++)
        {
            var (tag, vr) = candidates[r.Next(candidates.Length)];
            ds.AddOrUpdate(new DicomElement(tag, vr, DicomBuffer.FromBytes(RandomValue(r, vr, ds))));
        }

        // A private block: creator (LO) and a value (UN in implicit, so write it as UN here).
        if (r.Next(3) == 0)
        {
            ds.AddOrUpdate(new DicomTag(0x0009, 0x0010), DicomVR.LO, "SMED TEST");
            ds.AddOrUpdate(new DicomElement(new DicomTag(0x0009, 0x1001), DicomVR.UN, DicomBuffer.FromBytes(RandomBytes(r, r.Next(0, 9)))));
        }

        if (depth < 3 && r.Next(3) == 0)
        {
            var sq = new DicomSequence(DicomTag.ReferencedImageSequence);
            for (var i = r.Next(0, 3); i > 0; i--)
            {
                sq.Items.Add(RandomDataset(r, r.Next(0, 6), depth + 1));
            }

            ds.AddOrUpdate(sq);
        }

        return ds;
    }

    private static byte[] RandomValue(Random r, DicomVR vr, DicomDataset ds)
    {
        var n = r.Next(0, 4);
        switch (vr.Code)
        {
            case "PN":
                return ds.Encoding.Encode(string.Join('\\', Enumerable.Range(0, n).Select(_ => Word(r, ds) + "^" + Word(r, ds))));
            case "LO" or "LT" or "UT":
                return ds.Encoding.Encode(string.Join(vr == DicomVR.LO ? "\\" : " ", Enumerable.Range(0, n).Select(_ => Word(r, ds))));
            case "DA":
                return Encoding.ASCII.GetBytes(string.Join('\\', Enumerable.Range(0, n).Select(_ => $"{r.Next(1900, 2100)}{r.Next(1, 13):D2}{r.Next(1, 29):D2}")));
            case "CS":
                return Encoding.ASCII.GetBytes(string.Join('\\', Enumerable.Range(0, n).Select(_ => "CS" + r.Next(1000))));
            case "UI":
                return Encoding.ASCII.GetBytes($"1.2.{r.Next()}.{r.Next()}");
            case "DS":
                return Encoding.ASCII.GetBytes(string.Join('\\', Enumerable.Range(0, n).Select(_ => (r.NextDouble() * 1000).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture))));
            case "IS":
                return Encoding.ASCII.GetBytes(string.Join('\\', Enumerable.Range(0, n).Select(_ => r.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture))));
            case "UR":
                return Encoding.ASCII.GetBytes("https://example.org/" + r.Next());
            case "US" or "SS" or "UL" or "SL" or "FL" or "FD" or "AT":
                return RandomBytes(r, vr.UnitSize * (vr == DicomVR.AT ? 2 : 1) * n);
            default:
                return RandomBytes(r, r.Next(0, 33)); // OB, odd lengths included
        }
    }

    private static string Word(Random r, DicomDataset ds)
    {
        const string ascii = "abcdefghijklmnopqrstuvwxyz";
        const string wide = "éøßЖλ山田太郎홍길동";
        var pool = ds.Encoding.Terms.Contains("ISO_IR 192") ? ascii + wide : ascii;
        return new string([.. Enumerable.Range(0, r.Next(1, 8)).Select(_ => pool[r.Next(pool.Length)])]);
    }

    private static byte[] RandomBytes(Random r, int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }
}
