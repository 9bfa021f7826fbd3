using Microsoft.Extensions.Logging;
using ServerlessMed.Deid;

namespace ServerlessMed.Cli;

/// <summary>What every command resolves the same way: the repository (for models and Azurite), the tenant key,
/// the policy, and a logger that writes to stderr.</summary>
internal static class CliEnvironment
{
    /// <summary>The folder holding ServerlessMed.sln above the current directory or the executable, else the current directory.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ServerlessMed.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }

    public static string ModelsRoot(string? option) =>
        option ?? Environment.GetEnvironmentVariable("SMED_MODELS") ?? Path.Combine(RepoRoot(), "models");

    public static TenantKey Key(string? keyFile) =>
        TenantKey.LoadOrCreate(keyFile, createIfMissing: true, notice: m => Console.Error.WriteLine("smed: " + m));

    /// <summary>The key file a host should read (the option, else $SMED_KEY_FILE, else the default), made to exist the
    /// way <see cref="Key"/> does: hosts read a key file, they never create one.</summary>
    public static string KeyPath(string? keyFile)
    {
        var path = keyFile ?? (Environment.GetEnvironmentVariable("SMED_KEY_FILE") is { Length: > 0 } env ? env : TenantKey.DefaultPath);
        _ = Key(path);
        return Path.GetFullPath(path);
    }

    public static DeidPolicy Policy(string? path) => path is null ? DeidPolicy.Default : DeidPolicy.Load(path);

    public static ILoggerFactory Logging(bool verbose) => LoggerFactory.Create(b =>
    {
        // Logs go to stderr so stdout stays the command's result.
        b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        b.AddFilter((category, level) => level >= (verbose ? LogLevel.Information : LogLevel.Warning));
    });

    /// <summary>One-line error, exit code 2 (usage or environment), no stack trace.</summary>
    public static int Fail(string command, string message)
    {
        Console.Error.WriteLine($"smed {command}: {message}");
        return 2;
    }
}
