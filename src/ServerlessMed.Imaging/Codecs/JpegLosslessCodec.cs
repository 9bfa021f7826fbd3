namespace ServerlessMed.Imaging.Codecs;

/// <summary>Lossless JPEG (ITU T.81 process 14, and its first-order-prediction subset "SV1"): our own decoder, since
/// libjpeg-turbo 2.1's API has no lossless mode. Huffman-coded differences from one of the seven predictors, any
/// precision from 2 to 16 bits, point transform, restart intervals, interleaved or one-scan-per-component images.
/// Samples of more than 8 bits come back as 16-bit little-endian, interleaved.</summary>
public sealed class JpegLosslessCodec : IFrameCodec
{
    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed)
    {
        var decoder = new Decoder(compressed);
        var (width, height, precision, planes) = decoder.Decode();
        if (width != info.Columns || height != info.Rows || planes.Length != info.SamplesPerPixel)
        {
            throw new PixelDataException("bad-jpeg", $"lossless JPEG is {width}x{height}x{planes.Length}, the dataset says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}");
        }

        var bytesPerSample = info.BitsAllocated > 8 || precision > 8 ? 2 : 1;
        var pixels = width * height;
        var output = new byte[pixels * planes.Length * bytesPerSample];
        for (var c = 0; c < planes.Length; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                var v = planes[c][p];
                var o = ((p * planes.Length) + c) * bytesPerSample;
                output[o] = (byte)v;
                if (bytesPerSample == 2)
                {
                    output[o + 1] = (byte)(v >> 8);
                }
            }
        }

        return output;
    }

    private sealed class Decoder(byte[] data)
    {
        private readonly JpegHuffmanTable?[] _tables = new JpegHuffmanTable?[4];
        private int _pos;
        private int _restartInterval;
        private int _width;
        private int _height;
        private int _precision;
        private int[] _componentIds = [];
        private int[][] _planes = [];

        public (int Width, int Height, int Precision, int[][] Planes) Decode()
        {
            if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
            {
                throw new PixelDataException("bad-jpeg", "lossless JPEG: no SOI marker");
            }

            _pos = 2;
            while (true)
            {
                var marker = NextMarker();
                switch (marker)
                {
                    case 0xD9: // EOI
                        return _planes.Length == 0 ? throw new PixelDataException("bad-jpeg", "lossless JPEG: no frame") : (_width, _height, _precision, _planes);
                    case 0xC3:
                        ReadFrame();
                        break;
                    case 0xC4:
                        ReadHuffmanTables();
                        break;
                    case 0xDD:
                        _restartInterval = (data[_pos + 2] << 8) | data[_pos + 3];
                        SkipSegment();
                        break;
                    case 0xDA:
                        ReadScan();
                        break;
                    case >= 0xC0 and <= 0xCF when marker is not 0xC4 and not 0xC8 and not 0xCC:
                        throw new PixelDataException("unsupported-transfer-syntax", $"JPEG process SOF{marker - 0xC0} is not lossless (SOF3)");
                    default:
                        SkipSegment();
                        break;
                }
            }
        }

        private int NextMarker()
        {
            while (_pos + 1 < data.Length && !(data[_pos] == 0xFF && data[_pos + 1] is not 0x00 and not 0xFF))
            {
                _pos++;
            }

            if (_pos + 1 >= data.Length)
            {
                throw new PixelDataException("bad-jpeg", "lossless JPEG ends before EOI");
            }

            var marker = data[_pos + 1];
            _pos += 2;
            return marker;
        }

        private int SegmentLength() => _pos + 1 < data.Length ? (data[_pos] << 8) | data[_pos + 1] : throw new PixelDataException("bad-jpeg", "lossless JPEG: truncated segment");

        private void SkipSegment() => _pos += SegmentLength();

        private void ReadFrame()
        {
            var p = _pos + 2;
            _precision = data[p];
            _height = (data[p + 1] << 8) | data[p + 2];
            _width = (data[p + 3] << 8) | data[p + 4];
            var n = data[p + 5];
            if (_precision is < 2 or > 16 || _width == 0 || _height == 0 || n == 0)
            {
                throw new PixelDataException("bad-jpeg", $"lossless JPEG frame header: {_width}x{_height}, {n} components, {_precision} bits");
            }

            _componentIds = new int[n];
            for (var i = 0; i < n; i++)
            {
                _componentIds[i] = data[p + 6 + (i * 3)];
                if (data[p + 7 + (i * 3)] != 0x11)
                {
                    throw new PixelDataException("unsupported-transfer-syntax", "lossless JPEG with subsampled components is not supported");
                }
            }

            _planes = [.. Enumerable.Range(0, n).Select(_ => new int[_width * _height])];
            SkipSegment();
        }

        private void ReadHuffmanTables()
        {
            var end = _pos + SegmentLength();
            var p = _pos + 2;
            while (p < end)
            {
                var id = data[p] & 0x0F;
                var counts = data.AsSpan(p + 1, 16);
                var total = 0;
                foreach (var c in counts)
                {
                    total += c;
                }

                _tables[id] = new JpegHuffmanTable(counts, data.AsSpan(p + 17, total));
                p += 17 + total;
            }

            _pos = end;
        }

        private void ReadScan()
        {
            var p = _pos + 2;
            var ns = data[p];
            var comps = new int[ns];
            var tables = new JpegHuffmanTable[ns];
            for (var i = 0; i < ns; i++)
            {
                comps[i] = Array.IndexOf(_componentIds, data[p + 1 + (i * 2)]);
                tables[i] = _tables[data[p + 2 + (i * 2)] >> 4] ?? throw new PixelDataException("bad-jpeg", "lossless JPEG scan uses an undefined Huffman table");
                if (comps[i] < 0)
                {
                    throw new PixelDataException("bad-jpeg", "lossless JPEG scan names an unknown component");
                }
            }

            var predictor = data[p + 1 + (ns * 2)];
            var pointTransform = data[p + 3 + (ns * 2)] & 0x0F;
            SkipSegment();
            if (predictor is < 1 or > 7)
            {
                throw new PixelDataException("bad-jpeg", $"lossless JPEG predictor {predictor} is not 1-7");
            }

            var mask = (1 << _precision) - 1;
            var initial = 1 << (_precision - pointTransform - 1);
            var pixels = _width * _height;
            var sinceRestart = 0;
            var restartRowStart = 0; // pixel index where the current restart interval began
            var reader = new JpegBitReader(data, _pos);
            for (var index = 0; index < pixels; index++)
            {
                if (_restartInterval > 0 && sinceRestart == _restartInterval)
                {
                    reader.Restart();
                    sinceRestart = 0;
                    restartRowStart = index;
                }

                var x = index % _width;
                var firstLine = index - restartRowStart < _width;
                for (var k = 0; k < ns; k++)
                {
                    var plane = _planes[comps[k]];
                    int prediction;
                    if (index == restartRowStart)
                    {
                        prediction = initial;
                    }
                    else if (firstLine)
                    {
                        prediction = plane[index - 1];
                    }
                    else if (x == 0)
                    {
                        prediction = plane[index - _width];
                    }
                    else
                    {
                        int ra = plane[index - 1], rb = plane[index - _width], rc = plane[index - _width - 1];
                        prediction = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }

                    plane[index] = (prediction + ReadDifference(ref reader, tables[k])) & mask;
                }

                sinceRestart++;
            }

            if (pointTransform > 0)
            {
                foreach (var c in comps)
                {
                    var plane = _planes[c];
                    for (var i = 0; i < plane.Length; i++)
                    {
                        plane[i] <<= pointTransform;
                    }
                }
            }

            // Leave _pos at the next marker (after the entropy-coded data).
            _pos = reader.Position;
            while (_pos + 1 < data.Length && !(data[_pos] == 0xFF && data[_pos + 1] is not 0x00 and not 0xFF and not (>= 0xD0 and <= 0xD7)))
            {
                _pos++;
            }
        }

        private static int ReadDifference(ref JpegBitReader reader, JpegHuffmanTable table)
        {
            var category = table.Decode(ref reader);
            if (category == 0)
            {
                return 0;
            }

            if (category == 16)
            {
                return 32768;
            }

            var bits = reader.ReadBits(category);
            return bits < (1 << (category - 1)) ? bits - (1 << category) + 1 : bits;
        }
    }
}
