using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using ServerlessMed.Files;

namespace ServerlessMed.Dicom.IO;

/// <summary>The bytes of one value, in little-endian order. Either held in memory or, for large values,
/// a reference to a range of the source that is read only when asked for (see <see cref="StreamRangeBuffer"/>).</summary>
public abstract class DicomBuffer
{
    public static readonly DicomBuffer Empty = new MemoryBuffer(ReadOnlyMemory<byte>.Empty);

    public abstract long Length { get; }

    /// <summary>True when the bytes are in memory; false for a deferred reference to the source.</summary>
    public abstract bool IsLoaded { get; }

    /// <summary>The bytes, loading a deferred value (cost: its length in memory).</summary>
    public abstract ReadOnlyMemory<byte> GetMemory();

    /// <summary>Streams the bytes to <paramref name="destination"/>, swapping each unit of
    /// <paramref name="swapUnit"/> bytes (1 = no swap) for big-endian output.</summary>
    public abstract void CopyTo(Stream destination, int swapUnit = 1);

    /// <summary>Reads <paramref name="destination"/>.Length bytes starting at <paramref name="start"/> (little-endian
    /// order), without loading the rest of a deferred value: a frame of a multi-frame image costs one frame.</summary>
    public abstract void ReadRange(long start, Span<byte> destination);

    public static DicomBuffer FromBytes(ReadOnlyMemory<byte> bytes) => bytes.Length == 0 ? Empty : new MemoryBuffer(bytes);

    /// <summary>Swaps bytes in place in units of 2, 4 or 8 (AT values are pairs of 2-byte numbers: unit 2).</summary>
    public static void SwapInPlace(Span<byte> bytes, int unit)
    {
        switch (unit)
        {
            case 2:
                for (var i = 0; i + 1 < bytes.Length; i += 2)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes[i..], BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]));
                }

                break;
            case 4:
                for (var i = 0; i + 3 < bytes.Length; i += 4)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes[i..], BinaryPrimitives.ReadUInt32BigEndian(bytes[i..]));
                }

                break;
            case 8:
                for (var i = 0; i + 7 < bytes.Length; i += 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes[i..], BinaryPrimitives.ReadUInt64BigEndian(bytes[i..]));
                }

                break;
        }
    }
}

/// <summary>A value held in memory.</summary>
public sealed class MemoryBuffer(ReadOnlyMemory<byte> bytes) : DicomBuffer
{
    public override long Length => bytes.Length;

    public override bool IsLoaded => true;

    public override ReadOnlyMemory<byte> GetMemory() => bytes;

    public override void ReadRange(long start, Span<byte> destination) => bytes.Span.Slice((int)start, destination.Length).CopyTo(destination);

    public override void CopyTo(Stream destination, int swapUnit = 1)
    {
        if (swapUnit <= 1)
        {
            destination.Write(bytes.Span);
            return;
        }

        var copy = bytes.ToArray();
        SwapInPlace(copy, swapUnit);
        destination.Write(copy);
    }
}

/// <summary>Opens the source of deferred values again. A file source opens a new read-only stream per use,
/// so datasets read from files can be shared across threads.</summary>
public interface IDicomStreamSource
{
    /// <summary>Describes the source in error messages (a file name, never content).</summary>
    string Description { get; }

    Stream Open();
}

/// <summary>Deferred value: <see cref="Length"/> bytes at <see cref="Offset"/> of a source stream. The bytes
/// are in the source's byte order; <see cref="SourceSwapUnit"/> says how to bring them to little endian.</summary>
public sealed class StreamRangeBuffer(IDicomStreamSource source, long offset, long length, int sourceSwapUnit) : DicomBuffer
{
    // 1 MiB: large enough that copying pixel data costs few system calls, small enough for the pool.
    private const int ChunkSize = 1 << 20;

    public IDicomStreamSource Source => source;

    public long Offset => offset;

    public int SourceSwapUnit => sourceSwapUnit;

    /// <summary>True when the 8 bytes before <see cref="Offset"/> are this value's Item header in little-endian order
    /// (a fragment of encapsulated pixel data): fragments that lie back to back can then be copied as one range,
    /// headers included.</summary>
    public bool FollowsLittleEndianItemHeader { get; init; }

    public override long Length => length;

    public override bool IsLoaded => false;

    public override ReadOnlyMemory<byte> GetMemory()
    {
        if (length > Array.MaxLength)
        {
            throw new DicomException($"{source.Description}: value of {length} bytes at offset {offset} is too large to load into memory; stream it instead");
        }

        var bytes = new byte[length];
        ReadAt(offset, bytes);
        if (sourceSwapUnit > 1)
        {
            SwapInPlace(bytes, sourceSwapUnit);
        }

        return bytes;
    }

    public override void ReadRange(long start, Span<byte> destination)
    {
        if (start < 0 || start + destination.Length > length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"range {start}+{destination.Length} is outside the value of {length} bytes");
        }

        ReadAt(offset + start, destination);
        if (sourceSwapUnit > 1)
        {
            SwapInPlace(destination, sourceSwapUnit);
        }
    }

    /// <summary>Fills <paramref name="destination"/> from the source at <paramref name="position"/>: positional reads
    /// on an open file's handle, else a stream opened, positioned and read.</summary>
    private void ReadAt(long position, Span<byte> destination)
    {
        if (source is FileHandleSource file)
        {
            ReadFully(file.Handle, position, destination);
            return;
        }

        using var s = source.Open();
        s.Seek(position, SeekOrigin.Begin);
        ReadFully(s, destination);
    }

    private void ReadFully(SafeFileHandle handle, long position, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            var n = RandomAccess.Read(handle, destination, position);
            if (n <= 0)
            {
                throw Truncated();
            }

            destination = destination[n..];
            position += n;
        }
    }

    private void ReadFully(Stream s, Span<byte> destination)
    {
        try
        {
            s.ReadExactly(destination);
        }
        catch (EndOfStreamException)
        {
            throw Truncated();
        }
    }

    private DicomTruncatedException Truncated() => new($"source ended inside a value of {length} bytes", source.Description, offset);

    /// <summary>Streams the value out: from a file, in the kernel when it can go straight to the output file
    /// (copy_file_range); otherwise through a pooled buffer, swapping on the way when the byte orders differ. A source
    /// that is an open file's handle is read with positional reads and never opened again.</summary>
    public override void CopyTo(Stream destination, int swapUnit = 1)
    {
        // Swapping twice is no swap: source BE → output BE copies as is.
        var unit = sourceSwapUnit == swapUnit ? 1 : Math.Max(sourceSwapUnit, swapUnit);
        var file = source as FileHandleSource;
        if (file is not null && destination is PooledWriteStream buffered && length <= buffered.Capacity)
        {
            // A short value goes through the write buffer with one positional read: flushing the buffer and copying
            // in the kernel would cost two system calls per value.
            var span = buffered.GetSpan((int)length);
            ReadFully(file.Handle, offset, span);
            if (unit > 1)
            {
                SwapInPlace(span, unit);
            }

            buffered.Advance((int)length);
            return;
        }

        using var opened = file is null ? source.Open() : null;
        var handle = file?.Handle ?? (opened as FileStream)?.SafeFileHandle;
        long done = 0;
        if (unit == 1 && handle is not null)
        {
            if (destination is PooledWriteStream pooled)
            {
                pooled.Flush(); // the kernel copy writes at the file's own position
                destination = pooled.Inner;
            }

            if (destination is FileStream destinationFile)
            {
                done = KernelCopy.TryCopy(handle, offset, destinationFile, length);
            }
        }

        if (done >= length)
        {
            return;
        }

        opened?.Seek(offset + done, SeekOrigin.Begin);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(length - done, ChunkSize));
        try
        {
            while (done < length)
            {
                var chunk = buffer.AsSpan(0, (int)Math.Min(length - done, buffer.Length));
                if (handle is not null)
                {
                    ReadFully(handle, offset + done, chunk);
                }
                else
                {
                    ReadFully(opened!, chunk);
                }

                if (unit > 1)
                {
                    SwapInPlace(chunk, unit);
                }

                destination.Write(chunk);
                done += chunk.Length;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>An open file as a source of deferred values: they are read with positional reads through its handle
/// (no reopening per value, no shared position). The owner keeps the handle open while the values are in use.</summary>
public sealed class FileHandleSource(SafeFileHandle handle, string description) : IDicomStreamSource
{
    public SafeFileHandle Handle => handle;

    public string Description => description;

    /// <summary>A stream over the same handle that does not close it (for callers that need a Stream).</summary>
    public Stream Open() => new FileStream(new SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
}

/// <summary>A file on disk as a source of deferred values.</summary>
public sealed class FileStreamSource(string path) : IDicomStreamSource
{
    public string Description => Path.GetFileName(path);

    public string FilePath => path;

    public Stream Open() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
}

/// <summary>A caller's seekable stream as a source. The caller keeps it open while values are in use;
/// access is serialised because the stream has one position.</summary>
public sealed class SharedStreamSource(Stream stream, string description) : IDicomStreamSource
{
    private readonly Lock _gate = new();

    public string Description => description;

    public Stream Open() => new Window(stream, _gate);

    /// <summary>A view that takes the lock for its lifetime so concurrent copies do not interleave seeks.</summary>
    private sealed class Window : Stream
    {
        private readonly Stream _inner;
        private readonly Lock _gate;
        private bool _disposed;

        public Window(Stream inner, Lock gate)
        {
            _inner = inner;
            _gate = gate;
            _gate.Enter();
        }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => _inner.Length;

        public override long Position { get => _inner.Position; set => _inner.Position = value; }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => _inner.Read(buffer);

        public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (!_disposed)
            {
                _disposed = true;
                _gate.Exit();
            }

            base.Dispose(disposing);
        }
    }
}
