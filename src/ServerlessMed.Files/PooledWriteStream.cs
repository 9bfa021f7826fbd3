using System.Buffers;

namespace ServerlessMed.Files;

/// <summary>Write buffering for an unbuffered <see cref="FileStream"/> with a buffer rented from the shared pool:
/// writing many small files (de-identified instances) otherwise allocates a fresh 64 KiB FileStream buffer per file,
/// and the collections that churn causes showed as a tenth of the run. The file stays reachable as <see cref="Inner"/>
/// so large values can still be copied file to file in the kernel after a <see cref="Flush"/>.</summary>
public sealed class PooledWriteStream(FileStream inner, int bufferSize = 64 * 1024) : Stream
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    private int _count;

    public FileStream Inner => inner;

    /// <summary>The most bytes <see cref="GetSpan"/> can hand out at once.</summary>
    public int Capacity => _buffer.Length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => inner.Length + _count;

    public override long Position
    {
        get => inner.Position + _count;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > _buffer.Length - _count)
        {
            Flush();
            if (data.Length >= _buffer.Length)
            {
                inner.Write(data);
                return;
            }
        }

        data.CopyTo(_buffer.AsSpan(_count));
        _count += data.Length;
    }

    public override void WriteByte(byte value)
    {
        if (_count == _buffer.Length)
        {
            Flush();
        }

        _buffer[_count++] = value;
    }

    /// <summary>Room for <paramref name="length"/> bytes (at most <see cref="Capacity"/>) at the end of the buffer,
    /// flushing first if needed, so a value can be read from its source straight into it (no array in between);
    /// <see cref="Advance"/> then counts what was filled.</summary>
    public Span<byte> GetSpan(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _buffer.Length);
        if (length > _buffer.Length - _count)
        {
            Flush();
        }

        return _buffer.AsSpan(_count, length);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _count);
        _count += count;
    }

    public override void Flush()
    {
        if (_count > 0)
        {
            inner.Write(_buffer, 0, _count);
            _count = 0;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer.Length > 0)
        {
            Flush();
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        base.Dispose(disposing);
    }
}
