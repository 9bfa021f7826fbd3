namespace ServerlessMed.Imaging.Codecs;

/// <summary>Reads the entropy-coded segment of a JPEG scan MSB first, removing stuffed zero bytes (FF 00). At a marker
/// (or the end of the data) it feeds zero bits, as libjpeg does, so a truncated stream decodes to grey instead of
/// reading past its end.</summary>
internal struct JpegBitReader(byte[] data, int position)
{
    private ulong _buffer;
    private int _count;
    private bool _atMarker;

    /// <summary>The byte offset of the next unread byte (after the scan: the marker that ended it).</summary>
    public readonly int Position => position;

    public int PeekBits(int n)
    {
        if (_count < n)
        {
            Fill();
        }

        return (int)(_buffer >> (64 - n));
    }

    public void Skip(int n)
    {
        _buffer <<= n;
        _count -= n;
    }

    public int ReadBits(int n)
    {
        var v = PeekBits(n);
        Skip(n);
        return v;
    }

    /// <summary>Moves past the RSTn marker that ends a restart interval and empties the bit buffer.</summary>
    public void Restart()
    {
        while (position + 1 < data.Length && !(data[position] == 0xFF && data[position + 1] is >= 0xD0 and <= 0xD7))
        {
            position++;
        }

        position = Math.Min(position + 2, data.Length);
        _buffer = 0;
        _count = 0;
        _atMarker = false;
    }

    private void Fill()
    {
        while (_count <= 56)
        {
            ulong b = 0;
            if (!_atMarker && position < data.Length)
            {
                b = data[position];
                if (b == 0xFF)
                {
                    var next = position + 1 < data.Length ? data[position + 1] : (byte)0xD9;
                    if (next == 0x00)
                    {
                        position += 2;
                    }
                    else
                    {
                        _atMarker = true;
                        b = 0;
                    }
                }
                else
                {
                    position++;
                }
            }

            _buffer |= b << (56 - _count);
            _count += 8;
        }
    }
}

/// <summary>A canonical Huffman table (T.81 Annex C) with a 9-bit lookahead table for the common short codes.</summary>
internal sealed class JpegHuffmanTable
{
    private const int LookaheadBits = 9;
    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valOffset = new int[17];
    private readonly byte[] _values;
    private readonly ushort[] _lookahead = new ushort[1 << LookaheadBits]; // (length << 8) | value, 0 = not short

    public JpegHuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
    {
        _values = values.ToArray();
        int code = 0, k = 0;
        for (var length = 1; length <= 16; length++)
        {
            var n = counts[length - 1];
            _valOffset[length] = k - code;
            if (length <= LookaheadBits)
            {
                for (var i = 0; i < n; i++)
                {
                    var first = (code + i) << (LookaheadBits - length);
                    var entry = (ushort)((length << 8) | _values[k + i]);
                    for (var j = 0; j < 1 << (LookaheadBits - length); j++)
                    {
                        _lookahead[first + j] = entry;
                    }
                }
            }

            code += n;
            k += n;
            _maxCode[length] = n == 0 ? -1 : code - 1;
            if (code > 1 << length)
            {
                throw new PixelDataException("bad-jpeg", "JPEG: Huffman table has more codes than fit their lengths");
            }

            code <<= 1;
        }

        _maxCode[17] = int.MaxValue;
    }

    public int Decode(ref JpegBitReader reader)
    {
        var entry = _lookahead[reader.PeekBits(LookaheadBits)];
        if (entry != 0)
        {
            reader.Skip(entry >> 8);
            return entry & 0xFF;
        }

        var bits = reader.PeekBits(16);
        for (var length = LookaheadBits + 1; length <= 16; length++)
        {
            var code = bits >> (16 - length);
            if (code <= _maxCode[length])
            {
                reader.Skip(length);
                var index = _valOffset[length] + code;
                return (uint)index < (uint)_values.Length ? _values[index] : throw new PixelDataException("bad-jpeg", "JPEG: invalid Huffman code");
            }
        }

        throw new PixelDataException("bad-jpeg", "JPEG: invalid Huffman code");
    }
}
