using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Ocr;

/// <summary>The part of Tesseract's C API (tesseract/capi.h, libtesseract.so.5 from Debian's libtesseract5) that
/// word detection needs. Handles are raw pointers owned by <see cref="TesseractTextDetector"/>.</summary>
internal static partial class TesseractNative
{
    private const string Library = "tesseract";

    /// <summary>TessOcrEngineMode OEM_LSTM_ONLY.</summary>
    public const int OemLstmOnly = 1;

    /// <summary>TessPageSegMode PSM_SPARSE_TEXT: as much text as possible in no particular order (overlays, labels).</summary>
    public const int PsmSparseText = 11;

    /// <summary>TessPageIteratorLevel RIL_WORD.</summary>
    public const int LevelWord = 3;

    /// <summary>Leptonica's message threshold; L_SEVERITY_NONE silences its stderr messages (box clipping notes on
    /// ordinary images).</summary>
    public const int LeptonicaSeverityNone = 6;

    [LibraryImport("lept", EntryPoint = "setMsgSeverity")]
    public static partial int SetLeptonicaMessageSeverity(int severity);

    /// <summary>libc setenv: the native environment, which .NET's Environment does not write through to.</summary>
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetNativeEnvironment(string name, string value, int overwrite);

    [LibraryImport(Library, EntryPoint = "TessVersion")]
    public static partial IntPtr Version();

    [LibraryImport(Library, EntryPoint = "TessBaseAPICreate")]
    public static partial IntPtr Create();

    [LibraryImport(Library, EntryPoint = "TessBaseAPIDelete")]
    public static partial void Delete(IntPtr handle);

    /// <summary>0 on success. A null data path means the library's default (or $TESSDATA_PREFIX).</summary>
    [LibraryImport(Library, EntryPoint = "TessBaseAPIInit2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Init2(IntPtr handle, string? dataPath, string language, int oem);

    [LibraryImport(Library, EntryPoint = "TessBaseAPISetVariable", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetVariable(IntPtr handle, string name, string value);

    [LibraryImport(Library, EntryPoint = "TessBaseAPISetPageSegMode")]
    public static partial void SetPageSegMode(IntPtr handle, int mode);

    /// <summary>Tesseract copies the pixels, so the buffer need only live for the call.</summary>
    [LibraryImport(Library, EntryPoint = "TessBaseAPISetImage")]
    public static partial void SetImage(IntPtr handle, byte[] pixels, int width, int height, int bytesPerPixel, int bytesPerLine);

    [LibraryImport(Library, EntryPoint = "TessBaseAPISetSourceResolution")]
    public static partial void SetSourceResolution(IntPtr handle, int ppi);

    /// <summary>0 on success.</summary>
    [LibraryImport(Library, EntryPoint = "TessBaseAPIRecognize")]
    public static partial int Recognize(IntPtr handle, IntPtr monitor);

    /// <summary>Null when nothing was recognised.</summary>
    [LibraryImport(Library, EntryPoint = "TessBaseAPIGetIterator")]
    public static partial IntPtr GetIterator(IntPtr handle);

    /// <summary>Forgets the image and the results; the loaded language stays.</summary>
    [LibraryImport(Library, EntryPoint = "TessBaseAPIClear")]
    public static partial void Clear(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "TessResultIteratorDelete")]
    public static partial void ResultIteratorDelete(IntPtr iterator);

    [LibraryImport(Library, EntryPoint = "TessResultIteratorNext")]
    public static partial int ResultIteratorNext(IntPtr iterator, int level);

    /// <summary>0-100.</summary>
    [LibraryImport(Library, EntryPoint = "TessResultIteratorConfidence")]
    public static partial float ResultIteratorConfidence(IntPtr iterator, int level);

    /// <summary>A UTF-8 string the caller frees with <see cref="DeleteText"/>; null for an empty element.</summary>
    [LibraryImport(Library, EntryPoint = "TessResultIteratorGetUTF8Text")]
    public static partial IntPtr ResultIteratorGetUtf8Text(IntPtr iterator, int level);

    [LibraryImport(Library, EntryPoint = "TessResultIteratorGetPageIteratorConst")]
    public static partial IntPtr ResultIteratorGetPageIteratorConst(IntPtr iterator);

    /// <summary>Right and bottom are exclusive. Returns 0 when the element has no box.</summary>
    [LibraryImport(Library, EntryPoint = "TessPageIteratorBoundingBox")]
    public static partial int PageIteratorBoundingBox(IntPtr pageIterator, int level, out int left, out int top, out int right, out int bottom);

    [LibraryImport(Library, EntryPoint = "TessDeleteText")]
    public static partial void DeleteText(IntPtr text);
}
