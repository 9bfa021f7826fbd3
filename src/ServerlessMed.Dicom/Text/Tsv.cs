namespace ServerlessMed.Dicom.Text;

/// <summary>Tab-separated rows of the generated tables embedded as resources (the PS3.6 dictionary, the PS3.15
/// profile), read as UTF-8 spans without making a string per cell.</summary>
public static class Tsv
{
    /// <summary>Fills <paramref name="cells"/> with the ranges of the line's tab-separated cells (at most its length)
    /// and returns how many there are.</summary>
    public static int SplitTabs(ReadOnlySpan<byte> line, Span<Range> cells)
    {
        var count = 0;
        var start = 0;
        while (count < cells.Length)
        {
            var tab = line[start..].IndexOf((byte)'\t');
            if (tab < 0)
            {
                cells[count++] = start..line.Length;
                break;
            }

            cells[count++] = start..(start + tab);
            start += tab + 1;
        }

        return count;
    }

    /// <summary>Takes the next line off <paramref name="rest"/> (without its "\n" or "\r\n") and returns it;
    /// <paramref name="consumed"/> is how many bytes it took, so callers can keep a line's offset.</summary>
    public static ReadOnlySpan<byte> ReadLine(ref ReadOnlySpan<byte> rest, out int consumed)
    {
        var end = rest.IndexOf((byte)'\n');
        var line = end < 0 ? rest : rest[..end];
        consumed = end < 0 ? rest.Length : end + 1;
        rest = rest[consumed..];
        return line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
    }
}
