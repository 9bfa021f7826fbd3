namespace ServerlessMed.Testing;

/// <summary>Runs the built smed (src/ServerlessMed.Cli) as a separate process, the way a user does.</summary>
public static class Smed
{
    public static ExternalTool.Result Run(IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(Corpus.RepoRoot, "src", "ServerlessMed.Cli", "bin", configuration, "net10.0", "smed.dll");
        if (!File.Exists(dll))
        {
            var build = ExternalTool.Run("dotnet", ["build", Path.Combine(Corpus.RepoRoot, "src", "ServerlessMed.Cli"), "-c", configuration, "-nologo", "-v", "q"], timeoutMs: 600_000);
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException("building smed failed: " + build.StdOut);
            }
        }

        return ExternalTool.Run("dotnet", [dll, .. args], env: env, workingDirectory: workingDirectory);
    }
}
