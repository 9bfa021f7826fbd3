using System.Globalization;

namespace ServerlessMed.Dicom;

/// <summary>DA (YYYYMMDD), TM (HHMMSS.FFFFFF, components optional) and DT values, including the old
/// ACR-NEMA forms with separators that real files still contain.</summary>
public static class DicomDateTime
{
    public static DateTime Parse(string date, string time = "")
    {
        var d = date.Trim().Replace(".", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (d.Length > 8)
        {
            // A DT value: date part then time part, offset suffix ignored.
            time = d[8..];
            d = d[..8];
        }

        if (!DateTime.TryParseExact(d, ["yyyyMMdd", "yyyyMM", "yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var result))
        {
            throw new DicomValueException($"'{date}' is not a DA/DT date");
        }

        return result + ParseTime(time);
    }

    public static TimeSpan ParseTime(string time)
    {
        var t = time.Trim().Replace(":", string.Empty, StringComparison.Ordinal);
        var plus = t.IndexOfAny(['+', '-']);
        if (plus >= 0)
        {
            t = t[..plus];
        }

        if (t.Length == 0)
        {
            return TimeSpan.Zero;
        }

        int hh = 0, mm = 0;
        double ss = 0;
        if (t.Length >= 2)
        {
            hh = int.Parse(t[..2], CultureInfo.InvariantCulture);
        }

        if (t.Length >= 4)
        {
            mm = int.Parse(t[2..4], CultureInfo.InvariantCulture);
        }

        if (t.Length >= 6)
        {
            ss = double.Parse(t[4..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return new TimeSpan(hh, mm, 0) + TimeSpan.FromSeconds(ss);
    }

    public static string FormatDate(DateTime value) => value.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
