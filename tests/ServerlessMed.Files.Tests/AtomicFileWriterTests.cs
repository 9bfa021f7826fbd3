using ServerlessMed.Files;
using ServerlessMed.Testing;

namespace ServerlessMed.Files.Tests;

/// <summary>Whole-file writes: the target holds the old content or the new, never part; replaced files are swapped
/// out and deleted later in batches; nothing is left behind.</summary>
public sealed class AtomicFileWriterTests
{
    private static string NewFolder() => Directory.CreateTempSubdirectory("smed-atomic").FullName;

    private static void WriteAll(AtomicFileWriter w, string path, byte[] content) => w.Write(path, fs => fs.Write(content));

    private static long Inode(string path) => long.Parse(ExternalTool.Run("stat", ["-c", "%i", path]).StdOut.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void New_files_are_written_and_no_temporary_stays()
    {
        var dir = NewFolder();
        using (var w = new AtomicFileWriter())
        {
            WriteAll(w, Path.Combine(dir, "a.dcm"), [1, 2, 3]);
            WriteAll(w, Path.Combine(dir, "b.dcm"), [4, 5]);
        }

        Assert.Equal(["a.dcm", "b.dcm"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(dir, "a.dcm")));
    }

    /// <summary>Replaced files are swapped out, not written into: a reader that opened the old file reads the old
    /// content to its end; the displaced files are deleted together at the limit and at the end.</summary>
    [Fact]
    public void Replaced_files_stay_whole_for_their_readers_and_are_deleted_in_batches()
    {
        var dir = NewFolder();
        string[] targets = [.. Enumerable.Range(0, 5).Select(i => Path.Combine(dir, $"{i}.dcm"))];
        var old = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        foreach (var t in targets)
        {
            File.WriteAllBytes(t, old);
        }

        var oldInode = Inode(targets[0]);
        using var reader = new FileStream(targets[0], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var head = new byte[10];
        reader.ReadExactly(head);
        using (var w = new AtomicFileWriter { MaxDeferredDeletes = 3 })
        {
            byte[][] contents = [[1, 2, 3], [.. Enumerable.Repeat((byte)7, 200_000)], [], [9], [8, 8]];
            for (var i = 0; i < targets.Length; i++)
            {
                WriteAll(w, targets[i], contents[i]);
                Assert.Equal(contents[i], File.ReadAllBytes(targets[i]));
            }

            Assert.NotEqual(oldInode, Inode(targets[0]));
            Assert.Equal(targets.Length + 2, Directory.GetFiles(dir).Length); // three deleted at the limit, two pending
        }

        Assert.Equal(targets.Length, Directory.GetFiles(dir).Length);
        var rest = new byte[old.Length - 10];
        reader.ReadExactly(rest);
        Assert.Equal(old, head.Concat(rest).ToArray());
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_whole_and_no_temporary()
    {
        var dir = NewFolder();
        var target = Path.Combine(dir, "x.dcm");
        File.WriteAllBytes(target, [1, 1, 1]);
        using var w = new AtomicFileWriter();
        WriteAll(w, Path.Combine(dir, "y.dcm"), [2]); // a new name: renamed
        WriteAll(w, target, [3, 3]); // an existing one: swapped
        Assert.Throws<InvalidOperationException>(() => w.Write(target, fs =>
        {
            fs.Write(new byte[100]);
            throw new InvalidOperationException("disk gone");
        }));
        Assert.Equal([3, 3], File.ReadAllBytes(target));
        Assert.Equal(3, Directory.GetFiles(dir).Length); // x, y and the displaced first x, deleted on dispose
        WriteAll(w, target, [4]); // still usable afterwards
        Assert.Equal([4], File.ReadAllBytes(target));
    }

    [Fact]
    public void Writers_racing_on_one_name_leave_one_whole_content()
    {
        var dir = NewFolder();
        var target = Path.Combine(dir, "same.dcm");
        var contents = Enumerable.Range(1, 8).Select(i => Enumerable.Repeat((byte)i, 50_000 + (i * 1000)).ToArray()).ToArray();
        Parallel.For(0, 8, i =>
        {
            using var w = new AtomicFileWriter();
            for (var round = 0; round < 20; round++)
            {
                WriteAll(w, target, contents[i]);
                var seen = File.ReadAllBytes(target);
                Assert.Contains(contents, c => c.AsSpan().SequenceEqual(seen));
            }
        });
        Assert.Equal(["same.dcm"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
