namespace ServerlessMed.Dicom;

/// <summary>Base class of every error the codec raises for bad input or misuse.</summary>
public class DicomException : Exception
{
    public DicomException(string message)
        : base(message)
    {
    }

    public DicomException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}

/// <summary>The bytes are not valid DICOM: says where (file, byte offset, tag) and what was expected.
/// Messages never quote element values, so they are safe to log when the input holds PHI.</summary>
public class DicomFormatException : DicomException
{
    public DicomFormatException(string message, string? source = null, long offset = -1, DicomTag? tag = null, Exception? inner = null)
        : base(Compose(message, source, offset, tag), inner)
    {
        Source = source;
        Offset = offset;
        Tag = tag;
        Reason = message;
    }

    /// <summary>The file name or stream description the reader was given, if any.</summary>
    public new string? Source { get; }

    /// <summary>Byte offset in the stream where the problem was found, or -1.</summary>
    public long Offset { get; }

    public DicomTag? Tag { get; }

    /// <summary>The problem alone, without the location.</summary>
    public string Reason { get; }

    private static string Compose(string message, string? source, long offset, DicomTag? tag)
    {
        var where = new List<string>(3);
        if (!string.IsNullOrEmpty(source))
        {
            where.Add(source);
        }

        if (offset >= 0)
        {
            where.Add($"offset {offset}");
        }

        if (tag is { } t)
        {
            where.Add($"tag {t}");
        }

        return where.Count == 0 ? message : $"{string.Join(", ", where)}: {message}";
    }
}

/// <summary>The stream ended before the structure it was reading was complete.</summary>
public sealed class DicomTruncatedException(string message, string? source = null, long offset = -1, DicomTag? tag = null)
    : DicomFormatException(message, source, offset, tag);

/// <summary>A safety limit (nesting depth, value length) was exceeded; the limit is an option of the reader.</summary>
public sealed class DicomLimitExceededException(string message, string? source = null, long offset = -1, DicomTag? tag = null)
    : DicomFormatException(message, source, offset, tag);

/// <summary>A value does not fit its VR (length, character repertoire, number syntax).</summary>
public sealed class DicomValueException(string message, DicomTag? tag = null)
    : DicomException(tag is { } t ? $"tag {t}: {message}" : message);
