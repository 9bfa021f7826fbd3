namespace ServerlessMed.Dicom.IO;

/// <summary>Implicit VR gives no VR for attributes the dictionary lists as "US or SS", "OB or OW" and the like.
/// This resolves them from the dataset as PS3.5 A.1 and DCMTK do: signed when Pixel Representation is 1,
/// OW for words, and the palette descriptors always US.</summary>
public static class AmbiguousVRResolver
{
    public static void Resolve(DicomDataset dataset)
    {
        var pixelRepresentation = FindPixelRepresentation(dataset);
        List<DicomItem>? replace = null;
        foreach (var item in dataset)
        {
            if (item is DicomSequence sq)
            {
                foreach (var child in sq.Items)
                {
                    Resolve(child);
                }

                continue;
            }

            if (item is not DicomElement e || e.Tag.IsPrivate)
            {
                continue;
            }

            var vrs = e.Tag.DictionaryEntry.ValueRepresentations;
            if (vrs.Count < 2 || !vrs.Contains(e.ValueRepresentation))
            {
                continue;
            }

            var resolved = Choose(e.Tag, vrs, pixelRepresentation);
            if (resolved != e.ValueRepresentation)
            {
                (replace ??= []).Add(new DicomElement(e.Tag, resolved, e.Buffer));
            }
        }

        if (replace is not null)
        {
            foreach (var r in replace)
            {
                dataset.AddOrUpdate(r);
            }
        }
    }

    internal static DicomVR Choose(DicomTag tag, IReadOnlyList<DicomVR> vrs, int pixelRepresentation)
    {
        // Red/Green/Blue Palette Color LUT Descriptors: the first and third values are US whatever the pixels (PS3.3 C.7.6.3.1.5).
        if (tag.Group == 0x0028 && tag.Element is >= 0x1101 and <= 0x1103)
        {
            return DicomVR.US;
        }

        if (vrs.Contains(DicomVR.SS) && vrs.Contains(DicomVR.US) && !vrs.Contains(DicomVR.OW))
        {
            return pixelRepresentation == 1 ? DicomVR.SS : DicomVR.US;
        }

        // LUT Data ("US or SS or OW", "US or OW"): words either way; US as DCMTK reads it.
        if (vrs.Contains(DicomVR.US))
        {
            return DicomVR.US;
        }

        if (vrs.Contains(DicomVR.OW))
        {
            return DicomVR.OW;
        }

        return vrs[0];
    }

    private static int FindPixelRepresentation(DicomDataset? ds)
    {
        for (; ds is not null; ds = ds.Parent)
        {
            if (ds.TryGetValue<ushort>(DicomTag.PixelRepresentation, out var pr))
            {
                return pr;
            }
        }

        return 0;
    }
}
