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

    /// <summary>The key named by --key-file, else by $SMED_KEY_FILE, must exist: a typo must not hand every patient new
    /// pseudonyms. Only the default location (.smed/tenant.key) is created when missing.</summary>
    public static TenantKey Key(string? keyFile)
    {
        var named = keyFile ?? (Environment.GetEnvironmentVariable("SMED_KEY_FILE") is { Length: > 0 } env ? env : null);
        return TenantKey.LoadOrCreate(named, createIfMissing: named is null, notice: m => Console.Error.WriteLine("smed: " + m));
    }

    /// <summary>The key file a host should read (the option, else $SMED_KEY_FILE, else the default), made to exist the
    /// way <see cref="Key"/> does: hosts read a key file, they never create one.</summary>
    public static string KeyPath(string? keyFile)
    {
        _ = Key(keyFile);
        return Path.GetFullPath(keyFile ?? (Environment.GetEnvironmentVariable("SMED_KEY_FILE") is { Length: > 0 } env ? env : TenantKey.DefaultPath));
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

    /// <summary>One line for an input file that failed, naming it once: our messages start with the file name already;
    /// the runtime's I/O messages carry its full path, which is left out.</summary>
    public static int FailInput(string command, FileInfo input, Exception e)
    {
        var message = e switch
        {
            FileNotFoundException or DirectoryNotFoundException => "does not exist",
            UnauthorizedAccessException => "cannot be read (permission denied, or not a file)",
            ServerlessMed.Imaging.PixelDataException p => $"{p.Code}: {p.Message}",
            _ => string.Join(' ', e.Message.Replace($"'{input.FullName}'", string.Empty, StringComparison.Ordinal).Replace(input.FullName, string.Empty, StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries)),
        };
        var named = message.StartsWith(input.Name + ":", StringComparison.Ordinal) || message.StartsWith(input.Name + ",", StringComparison.Ordinal);
        Console.Error.WriteLine($"smed {command}: {(named ? message : $"{input.Name}: {message}")}");
        return 1;
    }

    /// <summary>One-line error, exit code 2 (usage or environment), no stack trace.</summary>
    public static int Fail(string command, string message)
    {
        Console.Error.WriteLine($"smed {command}: {message}");
        return 2;
    }
}
