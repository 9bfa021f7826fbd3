using System.Buffers.Binary;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>One decoded sequential-DCT JPEG: a plane per component, padded to whole blocks (<see cref="Stride"/>).</summary>
internal sealed record DecodedJpeg(int Width, int Height, int Precision, int Stride, ushort[][] Planes, bool IsYCbCr);

/// <summary>Parses markers and decodes the entropy-coded scans of a baseline/extended Huffman JPEG into planes.</summary>
internal sealed class JpegDctDecoder(byte[] data)
{
    private readonly ushort[][] _quant = new ushort[4][];
    private readonly JpegHuffmanTable?[] _dc = new JpegHuffmanTable?[4];
    private readonly JpegHuffmanTable?[] _ac = new JpegHuffmanTable?[4];
    private Component[] _components = [];
    private int _width;
    private int _height;
    private int _precision;
    private int _restartInterval;
    private int _mcusPerLine;
    private int _mcusPerColumn;
    private int _hMax = 1;
    private int _vMax = 1;
    private int _pos;
    private bool _scanned;

    public DecodedJpeg Decode()
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            throw new PixelDataException("bad-jpeg", "JPEG: no SOI marker");
        }

        _pos = 2;
        while (true)
        {
            var marker = NextMarker();
            switch (marker)
            {
                case 0xD9:
                    return Finish();
                case 0xC0 or 0xC1:
                    ReadFrame();
                    break;
                case 0xC4:
                    ReadHuffmanTables();
                    break;
                case 0xDB:
                    ReadQuantTables();
                    break;
                case 0xDD:
                    _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(Segment(2, 4));
                    SkipSegment();
                    break;
                case 0xDA:
                    ReadScan();
                    break;
                case >= 0xC2 and <= 0xCF when marker is not 0xC4 and not 0xC8 and not 0xCC:
                    throw new PixelDataException("unsupported-transfer-syntax", $"JPEG process SOF{marker - 0xC0} (progressive, lossless or arithmetic) is not a sequential Huffman DCT stream");
                default:
                    SkipSegment();
                    break;
            }
        }
    }

    private DecodedJpeg Finish()
    {
        if (!_scanned)
        {
            throw new PixelDataException("bad-jpeg", "JPEG: no scan before EOI");
        }

        var stride = _mcusPerLine * _hMax * 8;
        var planes = new ushort[_components.Length][];
        for (var c = 0; c < planes.Length; c++)
        {
            planes[c] = _components[c].Samples;
        }

        // IJG's colour-space guess for three components (jdapimin.c): JFIF means YCbCr, then a complete Adobe marker
        // decides, then component ids 'R','G','B' mean RGB; otherwise YCbCr.
        var markers = JpegColorSpace.Read(data);
        var rgbIds = _components.Length == 3 && _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B';
        var isYCbCr = _components.Length == 3 && (markers.Jfif || (markers.AdobeTransform >= 0 ? markers.AdobeTransform != 0 : !rgbIds));
        return new DecodedJpeg(_width, _height, _precision, stride, planes, isYCbCr);
    }

    private int NextMarker()
    {
        while (_pos + 1 < data.Length && !(data[_pos] == 0xFF && data[_pos + 1] is not 0x00 and not 0xFF))
        {
            _pos++;
        }

        if (_pos + 1 >= data.Length)
        {
            throw new PixelDataException("bad-jpeg", "JPEG ends before EOI");
        }

        var marker = data[_pos + 1];
        _pos += 2;
        return marker;
    }

    private ReadOnlySpan<byte> Segment(int from, int minimumLength)
    {
        var length = SegmentLength();
        if (length < minimumLength || _pos + length > data.Length)
        {
            throw new PixelDataException("bad-jpeg", $"JPEG: segment at byte {_pos} is truncated");
        }

        return data.AsSpan(_pos + from, length - from);
    }

    private int SegmentLength() => _pos + 1 < data.Length ? (data[_pos] << 8) | data[_pos + 1] : throw new PixelDataException("bad-jpeg", "JPEG: truncated segment");

    private void SkipSegment() => _pos += SegmentLength();

    private void ReadFrame()
    {
        var s = Segment(2, 8);
        _precision = s[0];
        _height = (s[1] << 8) | s[2];
        _width = (s[3] << 8) | s[4];
        var n = s[5];
        if (_precision is not (8 or 12) || _width == 0 || _height == 0 || n is 0 or > 4 || s.Length < 6 + (3 * n))
        {
            throw new PixelDataException("bad-jpeg", $"JPEG frame header: {_width}x{_height}, {n} components, {_precision} bits");
        }

        _components = new Component[n];
        for (var i = 0; i < n; i++)
        {
            var h = s[7 + (i * 3)] >> 4;
            var v = s[7 + (i * 3)] & 15;
            _components[i] = new Component(s[6 + (i * 3)], n == 1 ? 1 : h, n == 1 ? 1 : v, s[8 + (i * 3)] & 3);
        }

        _hMax = _components.Max(c => c.H);
        _vMax = _components.Max(c => c.V);
        if (_components.Any(c => c.H != _hMax || c.V != _vMax))
        {
            throw new PixelDataException("unsupported-transfer-syntax", "JPEG with subsampled colour components is not supported by the 12-bit decoder");
        }

        _mcusPerLine = (_width + (8 * _hMax) - 1) / (8 * _hMax);
        _mcusPerColumn = (_height + (8 * _vMax) - 1) / (8 * _vMax);
        var planeSize = _mcusPerLine * _hMax * 8 * _mcusPerColumn * _vMax * 8;
        foreach (var c in _components)
        {
            c.Samples = new ushort[planeSize];
        }

        SkipSegment();
    }

    private void ReadQuantTables()
    {
        var s = Segment(2, 2);
        var p = 0;
        while (p < s.Length)
        {
            var wide = s[p] >> 4;
            var id = s[p] & 3;
            var size = wide == 0 ? 64 : 128;
            if (p + 1 + size > s.Length)
            {
                throw new PixelDataException("bad-jpeg", "JPEG: truncated quantisation table");
            }

            var table = new ushort[64];
            for (var k = 0; k < 64; k++)
            {
                table[ZigZagOrder[k]] = wide == 0 ? s[p + 1 + k] : BinaryPrimitives.ReadUInt16BigEndian(s[(p + 1 + (2 * k))..]);
            }

            _quant[id] = table;
            p += 1 + size;
        }

        SkipSegment();
    }

    private void ReadHuffmanTables()
    {
        var s = Segment(2, 2);
        var p = 0;
        while (p + 17 <= s.Length)
        {
            var isAc = s[p] >> 4 == 1;
            var id = s[p] & 3;
            var counts = s.Slice(p + 1, 16);
            var total = 0;
            foreach (var count in counts)
            {
                total += count;
            }

            if (p + 17 + total > s.Length)
            {
                throw new PixelDataException("bad-jpeg", "JPEG: truncated Huffman table");
            }

            var table = new JpegHuffmanTable(counts, s.Slice(p + 17, total));
            (isAc ? _ac : _dc)[id] = table;
            p += 17 + total;
        }

        SkipSegment();
    }

    private void ReadScan()
    {
        if (_components.Length == 0)
        {
            throw new PixelDataException("bad-jpeg", "JPEG: scan before frame header");
        }

        var s = Segment(2, 6);
        var ns = s[0];
        if (ns is 0 or > 4 || s.Length < 1 + (2 * ns) + 3)
        {
            throw new PixelDataException("bad-jpeg", "JPEG: bad scan header");
        }

        var scan = new Component[ns];
        for (var i = 0; i < ns; i++)
        {
            var id = s[1 + (i * 2)];
            scan[i] = _components.FirstOrDefault(c => c.Id == id) ?? throw new PixelDataException("bad-jpeg", $"JPEG scan names unknown component {id}");
            scan[i].Dc = _dc[s[2 + (i * 2)] >> 4] ?? throw new PixelDataException("bad-jpeg", "JPEG scan uses an undefined DC table");
            scan[i].Ac = _ac[s[2 + (i * 2)] & 3] ?? throw new PixelDataException("bad-jpeg", "JPEG scan uses an undefined AC table");
            scan[i].Quant = _quant[scan[i].QuantId] ?? throw new PixelDataException("bad-jpeg", "JPEG component uses an undefined quantisation table");
            scan[i].Predictor = 0;
        }

        SkipSegment();
        var reader = new JpegBitReader(data, _pos);
        var stride = _mcusPerLine * _hMax * 8;
        Span<short> block = stackalloc short[64];

        // A single-component scan is not interleaved: its "MCU" is one block, over the component's own block grid.
        int mcusX, mcusY;
        if (ns == 1)
        {
            mcusX = ((((_width * scan[0].H) + _hMax - 1) / _hMax) + 7) / 8;
            mcusY = ((((_height * scan[0].V) + _vMax - 1) / _vMax) + 7) / 8;
        }
        else
        {
            mcusX = _mcusPerLine;
            mcusY = _mcusPerColumn;
        }

        var total = mcusX * mcusY;
        for (var mcu = 0; mcu < total; mcu++)
        {
            if (_restartInterval > 0 && mcu > 0 && mcu % _restartInterval == 0)
            {
                reader.Restart();
                foreach (var c in scan)
                {
                    c.Predictor = 0;
                }
            }

            var mx = mcu % mcusX;
            var my = mcu / mcusX;
            foreach (var c in scan)
            {
                var (h, v) = ns == 1 ? (1, 1) : (c.H, c.V);
                for (var by = 0; by < v; by++)
                {
                    for (var bx = 0; bx < h; bx++)
                    {
                        DecodeBlock(ref reader, c, block);
                        var x0 = ((mx * h) + bx) * 8;
                        var y0 = ((my * v) + by) * 8;
                        IslowIdct.Transform(block, c.Quant, _precision, c.Samples, (y0 * stride) + x0, stride);
                    }
                }
            }
        }

        _pos = reader.Position;
        _scanned = true;
    }

    private static void DecodeBlock(ref JpegBitReader reader, Component c, Span<short> block)
    {
        block.Clear();
        var t = c.Dc!.Decode(ref reader);
        if (t > 16)
        {
            throw new PixelDataException("bad-jpeg", "JPEG: DC difference category over 16");
        }

        c.Predictor += t == 0 ? 0 : Extend(reader.ReadBits(t), t);
        block[0] = (short)c.Predictor;
        var ac = c.Ac!;
        for (var k = 1; k < 64;)
        {
            var rs = ac.Decode(ref reader);
            var run = rs >> 4;
            var size = rs & 15;
            if (size == 0)
            {
                if (run != 15)
                {
                    break; // end of block
                }

                k += 16;
                continue;
            }

            k += run;
            if (k > 63)
            {
                throw new PixelDataException("bad-jpeg", "JPEG: AC coefficients run past the end of a block");
            }

            block[ZigZagOrder[k]] = (short)Extend(reader.ReadBits(size), size);
            k++;
        }
    }

    private static int Extend(int bits, int size) => bits < (1 << (size - 1)) ? bits - (1 << size) + 1 : bits;

    private static ReadOnlySpan<byte> ZigZagOrder => JpegDctCodec.NaturalOrder;

    private sealed class Component(int id, int h, int v, int quantId)
    {
        public int Id { get; } = id;

        public int H { get; } = h;

        public int V { get; } = v;

        public int QuantId { get; } = quantId;

        public ushort[] Samples { get; set; } = [];

        public ushort[] Quant { get; set; } = [];

        public JpegHuffmanTable? Dc { get; set; }

        public JpegHuffmanTable? Ac { get; set; }

        public int Predictor { get; set; }
    }
}
