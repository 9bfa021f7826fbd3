using System.Text;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Testing;

/// <summary>Attributes as a writer that did not know their VR encodes them (PS3.5 6.2.2): explicit VR UN with a
/// defined length; a sequence's items in implicit VR little endian.</summary>
public static class UnEncoded
{
    public static DicomElement Element(DicomTag tag, byte[] bytes) => new(tag, DicomVR.UN, DicomBuffer.FromBytes(bytes));

    /// <summary>Text as UN, padded as a writer that knew the VR would (NUL for UI, space otherwise).</summary>
    public static DicomElement Element(DicomTag tag, string text) =>
        Element(tag, Encoding.ASCII.GetBytes(text.Length % 2 == 0 ? text : text + (tag.DictionaryEntry.DefaultVR == DicomVR.UI ? "\0" : " ")));

    /// <summary>A sequence as UN: its items of defined length, their content in implicit VR little endian.</summary>
    public static DicomElement Sequence(DicomTag tag, params DicomDataset[] items)
    {
        using var ms = new MemoryStream();
        foreach (var item in items)
        {
            using var content = new MemoryStream();
            new DicomWriter(content, DicomWriteOptions.Default).WriteDataset(item, DicomTransferSyntax.ImplicitVRLittleEndian);
            ms.Write([0xFE, 0xFF, 0x00, 0xE0]);
            ms.Write(BitConverter.GetBytes((uint)content.Length));
            content.WriteTo(ms);
        }

        return Element(tag, ms.ToArray());
    }
}
