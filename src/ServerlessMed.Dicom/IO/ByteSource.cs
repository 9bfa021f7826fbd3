using System.Buffers.Binary;

namespace ServerlessMed.Dicom.IO;

/// <summary>A forward reader over a stream with its own buffer and byte position, so that small reads
/// (tags, VRs, lengths) are span operations and large values can be skipped (seek) instead of read.</summary>
internal sealed class ByteSource : IDisposable
{
    private readonly Stream _stream;
    private readonly long _origin;
    private byte[] _buffer;
    private int _pos;
    private int _len;
    private long _bufferStart;
    private bool _ended;

    /// <summary>Longest value read into an array of its stated length before the bytes are there, from a source of
    /// unknown length; longer ones grow with the bytes that actually arrive.</summary>
    private const int UnverifiedExactLimit = 4 << 20;

    public ByteSource(Stream stream, int bufferSize = 64 * 1024)
    {
        _stream = stream;
        // Rented: every byte is written by a read before it is looked at, and a fresh 64 KiB per file (three with the
        // meta group and a deflated dataset) shows in profiles as page faults and collections.
        _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
        CanSeek = stream.CanSeek;
        _origin = CanSeek ? stream.Position : 0;
        Length = CanSeek ? stream.Length - _origin : -1;
    }

    public bool CanSeek { get; }

    /// <summary>Bytes consumed since the start of this source.</summary>
    public long Position => _bufferStart + _pos;

    /// <summary>Offset of <see cref="Position"/> in the underlying stream (meaningful when seekable).</summary>
    public long StreamOffset => _origin + Position;

    /// <summary>Total bytes in the source, or -1 when the stream cannot tell.</summary>
    public long Length { get; }

    public long Remaining => Length < 0 ? long.MaxValue : Length - Position;

    public Stream Stream => _stream;

    /// <summary>Ensures n bytes are buffered; false when the stream ends first.</summary>
    public bool TryEnsure(int n)
    {
        if (_len - _pos >= n)
        {
            return true;
        }

        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
            _bufferStart += _pos;
            _len -= _pos;
            _pos = 0;
        }

        if (n > _buffer.Length)
        {
            // A caller peeking past the rented size: grow (the pool may hand out larger arrays than asked for).
            var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(n);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _len);
            System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        while (_len < n)
        {
            if (_ended || (Length >= 0 && _bufferStart + _len >= Length))
            {
                _ended = true; // the known length is all here: no read just to be told so
                return false;
            }

            var read = _stream.Read(_buffer, _len, _buffer.Length - _len);
            if (read <= 0)
            {
                _ended = true; // a file does not grow while we parse it: do not ask the kernel again
                return false;
            }

            _len += read;
        }

        return true;
    }

    /// <summary>Returns the buffer to the pool; the source must not be used afterwards.</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _len = _pos = 0;
        if (buffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool IsAtEnd => !TryEnsure(1);

    public ReadOnlySpan<byte> Peek(int n) => TryEnsure(n) ? _buffer.AsSpan(_pos, n) : _buffer.AsSpan(_pos, _len - _pos);

    public ReadOnlySpan<byte> Read(int n)
    {
        if (!TryEnsure(n))
        {
            throw new EndOfStreamException();
        }

        var span = _buffer.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    public ushort ReadUInt16(bool bigEndian)
    {
        var s = Read(2);
        return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    }

    public uint ReadUInt32(bool bigEndian)
    {
        var s = Read(4);
        return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    /// <summary>Reads exactly n bytes into a new array, growing in chunks so a bogus length costs at most the stream.</summary>
    public byte[] ReadBytes(long n)
    {
        if (n <= _len - _pos)
        {
            var quick = _buffer.AsSpan(_pos, (int)n).ToArray();
            _pos += (int)n;
            return quick;
        }

        if (Length >= 0)
        {
            return ReadBytesKnownLength(n);
        }

        if (n <= UnverifiedExactLimit)
        {
            // The source cannot vouch for the length (an inflating stream), but a bogus one this short costs little:
            // one exact array filled as the bytes arrive, instead of a growing copy and a final one.
            var exact = GC.AllocateUninitializedArray<byte>((int)n);
            for (var filled = 0; filled < exact.Length;)
            {
                if (!TryEnsure(1))
                {
                    throw new EndOfStreamException();
                }

                var take = Math.Min(exact.Length - filled, _len - _pos);
                _buffer.AsSpan(_pos, take).CopyTo(exact.AsSpan(filled));
                _pos += take;
                filled += take;
            }

            return exact;
        }

        using var ms = new MemoryStream(1 << 20);
        var remaining = n;
        while (remaining > 0)
        {
            if (!TryEnsure(1))
            {
                throw new EndOfStreamException();
            }

            var take = (int)Math.Min(remaining, _len - _pos);
            ms.Write(_buffer, _pos, take);
            _pos += take;
            remaining -= take;
        }

        return ms.ToArray();
    }

    /// <summary>A value whose length the source can vouch for: one array of the exact size, the buffered part copied
    /// and the rest read straight into it (a growing copy and a final one doubled the bytes allocated per file).</summary>
    private byte[] ReadBytesKnownLength(long n)
    {
        if (n > Remaining)
        {
            throw new EndOfStreamException();
        }

        var result = GC.AllocateUninitializedArray<byte>(checked((int)n));
        var filled = _len - _pos;
        _buffer.AsSpan(_pos, filled).CopyTo(result);
        _bufferStart += _len;
        _pos = _len = 0;
        var rest = (int)n - filled;
        if (rest < _buffer.Length / 2)
        {
            // A short tail: refill the buffer as usual, so the elements after the value are read in the same call.
            if (!TryEnsure(rest))
            {
                throw new EndOfStreamException();
            }

            _buffer.AsSpan(0, rest).CopyTo(result.AsSpan(filled));
            _pos = rest;
            return result;
        }

        while (filled < n)
        {
            var read = _ended ? 0 : _stream.Read(result, filled, (int)n - filled);
            if (read <= 0)
            {
                _ended = true;
                throw new EndOfStreamException();
            }

            filled += read;
            _bufferStart += read;
        }

        return result;
    }

    /// <summary>Goes back to an earlier <see cref="Position"/> (seekable sources only): a value tried one way and found
    /// not to be that is read again another way.</summary>
    public void Rewind(long position)
    {
        if (!CanSeek || position > Position)
        {
            throw new InvalidOperationException("only a seekable source can go back, and only to where it has been");
        }

        if (position >= _bufferStart)
        {
            _pos = (int)(position - _bufferStart);
            return;
        }

        _stream.Seek(_origin + position, SeekOrigin.Begin);
        _bufferStart = position;
        _pos = _len = 0;
        _ended = false;
    }

    /// <summary>Moves forward n bytes: by seeking when possible, else by reading and discarding.</summary>
    public void Skip(long n)
    {
        if (n <= _len - _pos)
        {
            _pos += (int)n;
            return;
        }

        if (CanSeek)
        {
            var target = Position + n;
            if (target > Length)
            {
                throw new EndOfStreamException();
            }

            _stream.Seek(_origin + target, SeekOrigin.Begin);
            _bufferStart = target;
            _pos = 0;
            _len = 0;
            return;
        }

        var remaining = n;
        while (remaining > 0)
        {
            if (!TryEnsure(1))
            {
                throw new EndOfStreamException();
            }

            var take = (int)Math.Min(remaining, _len - _pos);
            _pos += take;
            remaining -= take;
        }
    }
}
