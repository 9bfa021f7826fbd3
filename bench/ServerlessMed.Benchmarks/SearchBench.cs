using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using ServerlessMed.Search;

namespace ServerlessMed.Benchmarks;

/// <summary>The embedded similarity index (USearch HNSW, cosine, with the product's default settings) against exact
/// brute-force search (System.Numerics.Tensors dot products over unit vectors) on clustered synthetic embeddings:
/// recall@10, query latency p50/p99 and rate, build time and index size. Both search one query at a time on one
/// thread, so the rate ratio is per core.</summary>
public static class SearchBench
{
    private const int K = 10;

    public static int Run(int count, IReadOnlyList<int> dimensionsList, int queries, int exactQueries, int clusters)
    {
        var options = new SimilaritySearchOptions();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"search bench: {count:N0} vectors in {clusters} clusters, {queries} queries ({exactQueries} timed exactly), k={K}; USearch {USearchCapabilities.Version()} cos f32 M={options.Connectivity} efConstruction={options.ExpansionAdd} ef={options.ExpansionSearch}"));
        Console.WriteLine("dims   recall@10   ann p50 ms   ann p99 ms   ann q/s   exact p50 ms   exact q/s   speed-up   build s   index MB   raw MB");
        var failed = false;
        foreach (var dims in dimensionsList)
        {
            var (data, query) = Clustered(count, queries, dims, clusters, seed: dims);

            var build = Stopwatch.StartNew();
            using var index = new USearchIndex(MetricKind.Cos, ScalarKind.Float32, (ulong)dims, (ulong)options.Connectivity, (ulong)options.ExpansionAdd, (ulong)options.ExpansionSearch, false);
            var row = new float[dims];
            for (var i = 0; i < count; i++)
            {
                data.AsSpan(i * dims, dims).CopyTo(row);
                index.Add((ulong)i, row);
            }

            build.Stop();
            var file = Path.Combine(Path.GetTempPath(), $"smed-search-bench-{Environment.ProcessId}-{dims}.usearch");
            index.Save(file);
            var size = new FileInfo(file).Length;
            File.Delete(file);

            var annTimes = new double[queries];
            var annResults = new ulong[queries][];
            var q = new float[dims];
            for (var i = 0; i < queries; i++)
            {
                query.AsSpan(i * dims, dims).CopyTo(q);
                var t = Stopwatch.GetTimestamp();
                var found = index.Search(q, K, out ulong[] keys, out float[] _);
                annTimes[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                annResults[i] = keys[..found];
            }

            var exactTimes = new double[exactQueries];
            var recall = 0.0;
            var scores = new float[count];
            for (var i = 0; i < exactQueries; i++)
            {
                var t = Stopwatch.GetTimestamp();
                var exact = Exact(data, query.AsSpan(i * dims, dims), dims, scores);
                exactTimes[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                recall += annResults[i].Count(k => exact.Contains((int)k)) / (double)K;
            }

            recall /= exactQueries;
            var annP50 = Percentile(annTimes, 50);
            var exactP50 = Percentile(exactTimes, 50);
            var annRate = 1000 / annTimes.Average();
            var exactRate = 1000 / exactTimes.Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{dims,4}   {recall,9:0.0000}   {annP50,10:0.000}   {Percentile(annTimes, 99),10:0.000}   {annRate,7:0}   {exactP50,12:0.000}   {exactRate,9:0.0}   {annRate / exactRate,7:0.0}x   {build.Elapsed.TotalSeconds,7:0.0}   {size / 1e6,8:0.0}   {count * (long)dims * 4 / 1e6,6:0.0}"));
            failed |= recall < 0.95 || annRate / exactRate < 20;
        }

        Console.WriteLine(failed ? "goal (recall@10 >= 0.95 at >= 20x the exact rate): NOT met" : "goal (recall@10 >= 0.95 at >= 20x the exact rate): met");
        return 0;
    }

    /// <summary>Unit vectors around random unit centres (Gaussian spread), queries drawn the same way: the shape of
    /// embeddings of many studies of a few kinds, where the true neighbours of a query sit inside its own cluster.</summary>
    private static (float[] Data, float[] Queries) Clustered(int count, int queries, int dims, int clusters, int seed)
    {
        var random = new Random(seed);
        float Gaussian() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var centres = new float[clusters * dims];
        for (var c = 0; c < clusters; c++)
        {
            var centre = centres.AsSpan(c * dims, dims);
            for (var j = 0; j < dims; j++)
            {
                centre[j] = Gaussian();
            }

            TensorPrimitives.Divide(centre, TensorPrimitives.Norm(centre), centre);
        }

        // Two levels, as embeddings of a tenant's studies fall: kinds of study (the centres) and within each, studies
        // (sub-centres, cosine ~0.8 to their kind) whose instances lie close together (cosine ~0.95 to their study).
        var perStudy = 100;
        var studies = Math.Max(clusters, count / perStudy);
        var subCentres = new float[studies * dims];
        for (var s = 0; s < studies; s++)
        {
            var c = random.Next(clusters);
            var row = subCentres.AsSpan(s * dims, dims);
            for (var j = 0; j < dims; j++)
            {
                row[j] = centres[(c * dims) + j] + (0.75f / MathF.Sqrt(dims) * Gaussian());
            }

            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        float[] Draw(int n)
        {
            var v = new float[n * dims];
            for (var i = 0; i < n; i++)
            {
                var s = random.Next(studies);
                var row = v.AsSpan(i * dims, dims);
                for (var j = 0; j < dims; j++)
                {
                    row[j] = subCentres[(s * dims) + j] + (0.33f / MathF.Sqrt(dims) * Gaussian());
                }

                TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
            }

            return v;
        }

        return (Draw(count), Draw(queries));
    }

    /// <summary>The exact top k by dot product (cosine, the vectors being unit length).</summary>
    private static HashSet<int> Exact(float[] data, ReadOnlySpan<float> query, int dims, float[] scores)
    {
        var n = scores.Length;
        for (var i = 0; i < n; i++)
        {
            scores[i] = TensorPrimitives.Dot(data.AsSpan(i * dims, dims), query);
        }

        var best = new (float Score, int Index)[K];
        Array.Fill(best, (float.NegativeInfinity, -1));
        for (var i = 0; i < n; i++)
        {
            var s = scores[i];
            if (s <= best[K - 1].Score)
            {
                continue;
            }

            var j = K - 1;
            while (j > 0 && best[j - 1].Score < s)
            {
                best[j] = best[j - 1];
                j--;
            }

            best[j] = (s, i);
        }

        return [.. best.Select(b => b.Index)];
    }

    private static double Percentile(double[] values, int p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];
    }
}
