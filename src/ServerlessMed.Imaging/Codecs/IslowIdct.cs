namespace ServerlessMed.Imaging.Codecs;

/// <summary>The "accurate integer" inverse DCT of the Independent JPEG Group's library (jidctint.c, Loeffler-Ligtenberg-
/// Moschytz with 13-bit fixed-point constants), reproduced operation for operation so that our samples equal what
/// libjpeg (and DCMTK's dcmdjpeg, which builds IJG 6b for 8, 12 and 16 bits) produces with its default DCT method.
/// Dequantisation is folded in, as in IJG.</summary>
internal static class IslowIdct
{
    private const int ConstBits = 13;

    private const long Fix0298631336 = 2446;
    private const long Fix0390180644 = 3196;
    private const long Fix0541196100 = 4433;
    private const long Fix0765366865 = 6270;
    private const long Fix0899976223 = 7373;
    private const long Fix1175875602 = 9633;
    private const long Fix1501321110 = 12299;
    private const long Fix1847759065 = 15137;
    private const long Fix1961570560 = 16069;
    private const long Fix2053119869 = 16819;
    private const long Fix2562915447 = 20995;
    private const long Fix3072711026 = 25172;

    /// <summary>Transforms one 8×8 block of quantised coefficients (natural order) into samples written to
    /// <paramref name="output"/> at <paramref name="offset"/> with row pitch <paramref name="stride"/>.</summary>
    /// <param name="precision">Sample precision, 8 or 12: IJG keeps 2 extra bits between passes at 8 bits, 1 at 12.</param>
    public static void Transform(ReadOnlySpan<short> coefficients, ReadOnlySpan<ushort> quant, int precision, Span<ushort> output, int offset, int stride)
    {
        var pass1Bits = precision <= 8 ? 2 : 1;
        var max = (1 << precision) - 1;
        var center = 1 << (precision - 1);
        Span<int> ws = stackalloc int[64];

        // Pass 1: columns, from the dequantised input into the work array (scaled up by pass1Bits).
        for (var c = 0; c < 8; c++)
        {
            var z2 = Dequantize(coefficients, quant, 2, c);
            var z3 = Dequantize(coefficients, quant, 6, c);
            var z1 = (z2 + z3) * Fix0541196100;
            var tmp2 = z1 + (z3 * -Fix1847759065);
            var tmp3 = z1 + (z2 * Fix0765366865);
            z2 = Dequantize(coefficients, quant, 0, c);
            z3 = Dequantize(coefficients, quant, 4, c);
            var tmp0 = (z2 + z3) << ConstBits;
            var tmp1 = (z2 - z3) << ConstBits;
            var tmp10 = tmp0 + tmp3;
            var tmp13 = tmp0 - tmp3;
            var tmp11 = tmp1 + tmp2;
            var tmp12 = tmp1 - tmp2;

            Odd(Dequantize(coefficients, quant, 7, c), Dequantize(coefficients, quant, 5, c), Dequantize(coefficients, quant, 3, c), Dequantize(coefficients, quant, 1, c), out tmp0, out tmp1, out tmp2, out tmp3);

            var shift = ConstBits - pass1Bits;
            ws[(0 * 8) + c] = (int)Descale(tmp10 + tmp3, shift);
            ws[(7 * 8) + c] = (int)Descale(tmp10 - tmp3, shift);
            ws[(1 * 8) + c] = (int)Descale(tmp11 + tmp2, shift);
            ws[(6 * 8) + c] = (int)Descale(tmp11 - tmp2, shift);
            ws[(2 * 8) + c] = (int)Descale(tmp12 + tmp1, shift);
            ws[(5 * 8) + c] = (int)Descale(tmp12 - tmp1, shift);
            ws[(3 * 8) + c] = (int)Descale(tmp13 + tmp0, shift);
            ws[(4 * 8) + c] = (int)Descale(tmp13 - tmp0, shift);
        }

        // Pass 2: rows, from the work array to samples, removing the pass-1 scaling and the factor 8.
        for (var r = 0; r < 8; r++)
        {
            var w = ws.Slice(r * 8, 8);
            long z2 = w[2];
            long z3 = w[6];
            var z1 = (z2 + z3) * Fix0541196100;
            var tmp2 = z1 + (z3 * -Fix1847759065);
            var tmp3 = z1 + (z2 * Fix0765366865);
            var tmp0 = ((long)w[0] + w[4]) << ConstBits;
            var tmp1 = ((long)w[0] - w[4]) << ConstBits;
            var tmp10 = tmp0 + tmp3;
            var tmp13 = tmp0 - tmp3;
            var tmp11 = tmp1 + tmp2;
            var tmp12 = tmp1 - tmp2;

            Odd(w[7], w[5], w[3], w[1], out tmp0, out tmp1, out tmp2, out tmp3);

            var shift = ConstBits + pass1Bits + 3;
            var o = output.Slice(offset + (r * stride), 8);
            o[0] = RangeLimit(Descale(tmp10 + tmp3, shift), max, center);
            o[7] = RangeLimit(Descale(tmp10 - tmp3, shift), max, center);
            o[1] = RangeLimit(Descale(tmp11 + tmp2, shift), max, center);
            o[6] = RangeLimit(Descale(tmp11 - tmp2, shift), max, center);
            o[2] = RangeLimit(Descale(tmp12 + tmp1, shift), max, center);
            o[5] = RangeLimit(Descale(tmp12 - tmp1, shift), max, center);
            o[3] = RangeLimit(Descale(tmp13 + tmp0, shift), max, center);
            o[4] = RangeLimit(Descale(tmp13 - tmp0, shift), max, center);
        }
    }

    private static long Dequantize(ReadOnlySpan<short> coefficients, ReadOnlySpan<ushort> quant, int row, int column) =>
        (long)coefficients[(row * 8) + column] * quant[(row * 8) + column];

    /// <summary>The odd part shared by both passes (inputs are rows/columns 7, 5, 3, 1).</summary>
    private static void Odd(long i7, long i5, long i3, long i1, out long tmp0, out long tmp1, out long tmp2, out long tmp3)
    {
        var z1 = i7 + i1;
        var z2 = i5 + i3;
        var z3 = i7 + i3;
        var z4 = i5 + i1;
        var z5 = (z3 + z4) * Fix1175875602;
        tmp0 = i7 * Fix0298631336;
        tmp1 = i5 * Fix2053119869;
        tmp2 = i3 * Fix3072711026;
        tmp3 = i1 * Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 = (z3 * -Fix1961570560) + z5;
        z4 = (z4 * -Fix0390180644) + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    private static long Descale(long x, int n) => (x + (1L << (n - 1))) >> n;

    /// <summary>IJG's post-IDCT range-limit table: the value is taken modulo 4·(max+1) as a signed number (the table is
    /// indexed with a mask), then offset by the centre sample and clamped.</summary>
    private static ushort RangeLimit(long x, int max, int center)
    {
        var range = 4 * (max + 1);
        var wrapped = (int)(x & (range - 1));
        if (wrapped >= range / 2)
        {
            wrapped -= range;
        }

        return (ushort)Math.Clamp(wrapped + center, 0, max);
    }
}
