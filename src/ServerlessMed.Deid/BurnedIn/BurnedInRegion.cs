using ServerlessMed.Dicom;
using ServerlessMed.Imaging.Masking;

namespace ServerlessMed.Deid.BurnedIn;

/// <summary>Boxes always masked on the images of one device and size, as CTP's DicomPixelAnonymizer script names them
/// (e.g. the banner a given ultrasound model draws along the top). Every condition given must hold: Manufacturer and
/// Manufacturer's Model Name contain the text (ignoring case), Rows and Columns are equal.</summary>
public sealed class BurnedInRegion
{
    public string? Manufacturer { get; set; }

    public string? ManufacturerModelName { get; set; }

    public int? Rows { get; set; }

    public int? Columns { get; set; }

    public IReadOnlyList<RegionBox> Boxes { get; set; } = [];

    public bool Matches(DicomDataset ds, int rows, int columns) =>
        (Rows is null || Rows == rows)
        && (Columns is null || Columns == columns)
        && Contains(ds, DicomTag.Manufacturer, Manufacturer)
        && Contains(ds, DicomTag.ManufacturerModelName, ManufacturerModelName);

    private static bool Contains(DicomDataset ds, DicomTag tag, string? wanted) =>
        wanted is null || ds.GetSingleValueOrDefault(tag, string.Empty).Contains(wanted, StringComparison.OrdinalIgnoreCase);

    internal void Validate(string source, string at)
    {
        if (Manufacturer is null && ManufacturerModelName is null && Rows is null && Columns is null)
        {
            throw new DeidPolicyException($"{source}: {at}: give at least one of manufacturer, manufacturerModelName, rows, columns (a region without conditions would mask every image)");
        }

        if (Rows is < 1 || Columns is < 1)
        {
            throw new DeidPolicyException($"{source}: {at}: rows and columns must be positive");
        }

        if (Boxes.Count == 0)
        {
            throw new DeidPolicyException($"{source}: {at}.boxes: give at least one box");
        }

        for (var i = 0; i < Boxes.Count; i++)
        {
            var b = Boxes[i];
            if (b.X < 0 || b.Y < 0 || b.Width < 1 || b.Height < 1)
            {
                throw new DeidPolicyException($"{source}: {at}.boxes[{i}]: x and y must be 0 or more, width and height 1 or more");
            }
        }
    }
}

/// <summary>A rectangle in image pixels: columns x to x + width - 1, rows y to y + height - 1.</summary>
public sealed record RegionBox(int X, int Y, int Width, int Height)
{
    public PixelRect ToRect() => new(X, Y, Width, Height);
}
