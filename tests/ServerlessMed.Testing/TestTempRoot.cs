namespace ServerlessMed.Testing;

/// <summary>One temporary folder per test process, deleted when the process's tests end: TMPDIR points into it, so
/// every Path.GetTempPath() of the tests (and of the smed and Azurite processes they start, which inherit it) lands
/// there, and what a test failed to delete, or a crashed child left, goes with the folder instead of staying in /tmp.
/// Each test project registers it as an assembly fixture (tests/TestTempRoot.Assembly.cs, linked by
/// tests/Directory.Build.props).</summary>
public sealed class TestTempRoot : IDisposable
{
    private readonly string? _previous = Environment.GetEnvironmentVariable("TMPDIR");

    public TestTempRoot()
    {
        Folder = Directory.CreateTempSubdirectory("smed-tests-").FullName;
        Environment.SetEnvironmentVariable("TMPDIR", Folder);
    }

    public string Folder { get; }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("TMPDIR", _previous);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A child still writing at exit: nothing else to do; the folder's name says whose it is.
        }
    }
}
