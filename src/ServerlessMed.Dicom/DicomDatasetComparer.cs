namespace ServerlessMed.Dicom;

/// <summary>Compares two datasets element by element (values as little-endian bytes, with even-length
/// padding ignored) and lists the differences by tag path. Group lengths are skipped: they are derived.</summary>
public static class DicomDatasetComparer
{
    public static IReadOnlyList<string> Differences(DicomDataset a, DicomDataset b, string path = "")
    {
        var diffs = new List<string>();
        var left = a.Where(i => !i.Tag.IsGroupLength).ToList();
        var right = b.Where(i => !i.Tag.IsGroupLength).ToList();
        var tags = left.Select(i => i.Tag).Union(right.Select(i => i.Tag)).Order();
        foreach (var tag in tags)
        {
            var x = a[tag];
            var y = b[tag];
            var where = path + tag;
            if (x is null || y is null)
            {
                diffs.Add($"{where}: only in {(x is null ? "second" : "first")}");
                continue;
            }

            switch (x, y)
            {
                case (DicomElement ex, DicomElement ey):
                    if (ex.ValueRepresentation != ey.ValueRepresentation && !AreInterchangeable(ex.ValueRepresentation, ey.ValueRepresentation))
                    {
                        diffs.Add($"{where}: VR {ex.ValueRepresentation} vs {ey.ValueRepresentation}");
                    }

                    if (!SameBytes(ex.Buffer.GetMemory().Span, ey.Buffer.GetMemory().Span))
                    {
                        diffs.Add($"{where}: values differ ({ex.Length} vs {ey.Length} bytes)");
                    }

                    break;
                case (DicomSequence sx, DicomSequence sy):
                    if (sx.Items.Count != sy.Items.Count)
                    {
                        diffs.Add($"{where}: {sx.Items.Count} vs {sy.Items.Count} items");
                        break;
                    }

                    for (var i = 0; i < sx.Items.Count; i++)
                    {
                        diffs.AddRange(Differences(sx.Items[i], sy.Items[i], $"{where}[{i}]"));
                    }

                    break;
                case (DicomFragmentSequence fx, DicomFragmentSequence fy):
                    if (fx.Fragments.Count != fy.Fragments.Count || !SameBytes(fx.OffsetTable.GetMemory().Span, fy.OffsetTable.GetMemory().Span))
                    {
                        diffs.Add($"{where}: fragment structure differs");
                        break;
                    }

                    for (var i = 0; i < fx.Fragments.Count; i++)
                    {
                        if (!SameBytes(fx.Fragments[i].GetMemory().Span, fy.Fragments[i].GetMemory().Span))
                        {
                            diffs.Add($"{where}: fragment {i} differs");
                        }
                    }

                    break;
                default:
                    diffs.Add($"{where}: {x.GetType().Name} vs {y.GetType().Name}");
                    break;
            }
        }

        return diffs;
    }

    /// <summary>VRs that differ only by how the encoding states them: UN for any VR, and OB/OW (implicit VR
    /// always says OW for pixel and overlay data, PS3.5 A.1).</summary>
    private static bool AreInterchangeable(DicomVR a, DicomVR b) =>
        a == DicomVR.UN || b == DicomVR.UN || ((a == DicomVR.OB || a == DicomVR.OW) && (b == DicomVR.OB || b == DicomVR.OW));

    /// <summary>Equal, or equal but for one trailing pad byte (an odd value written back even).</summary>
    private static bool SameBytes(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.SequenceEqual(y))
        {
            return true;
        }

        var shorter = x.Length < y.Length ? x : y;
        var longer = x.Length < y.Length ? y : x;
        return longer.Length == shorter.Length + 1 && (shorter.Length & 1) == 1 && longer.StartsWith(shorter) && longer[^1] is 0 or 0x20;
    }
}
