namespace ServerlessMed.Imaging.Masking;

/// <summary>An axis-aligned rectangle of image pixels: columns <see cref="X"/> to X + Width - 1, rows <see cref="Y"/>
/// to Y + Height - 1.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;

    public int Bottom => Y + Height;

    public bool IsEmpty => Width <= 0 || Height <= 0;

    /// <summary>Grown by <paramref name="margin"/> on every side and clipped to a <paramref name="columns"/> by
    /// <paramref name="rows"/> image.</summary>
    public PixelRect Inflate(int margin, int columns, int rows)
    {
        var left = Math.Clamp(X - margin, 0, columns);
        var top = Math.Clamp(Y - margin, 0, rows);
        var right = Math.Clamp(Right + margin, 0, columns);
        var bottom = Math.Clamp(Bottom + margin, 0, rows);
        return new PixelRect(left, top, right - left, bottom - top);
    }

    public bool Contains(PixelRect other) => other.X >= X && other.Y >= Y && other.Right <= Right && other.Bottom <= Bottom;

    public bool Intersects(PixelRect other) => other.X < Right && X < other.Right && other.Y < Bottom && Y < other.Bottom;
}
