using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ServerlessMed.Azurite;

/// <summary>Starts Azurite (the Azure Storage emulator) from the repository's node_modules on free loopback ports,
/// in memory, and stops it on dispose. Used by `smed demo` and by the tests' fixture.</summary>
public sealed class AzuriteLauncher : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented; not a secret).</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workDir;

    private AzuriteLauncher(Process process, int blobPort, int queuePort, string workDir)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        _workDir = workDir;
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    /// <summary>"https" when started with a certificate.</summary>
    public string Scheme { get; private init; } = "http";

    public Uri BlobServiceUri => new($"{Scheme}://127.0.0.1:{BlobPort}/{AccountName}");

    public Uri QueueServiceUri => new($"{Scheme}://127.0.0.1:{QueuePort}/{AccountName}");

    public string ConnectionString =>
        $"DefaultEndpointsProtocol={Scheme};AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobServiceUri};QueueEndpoint={QueueServiceUri};";

    public bool HasExited => _process.HasExited;

    /// <summary>CPU time the emulator's process has used so far (for benches that weigh it against their own).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>node_modules/.bin/azurite under the first folder above <paramref name="start"/> that has one.</summary>
    public static string? FindAzurite(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var main = Path.Combine(dir.FullName, "node_modules", "azurite", "dist", "src", "azurite.js");
            if (File.Exists(main))
            {
                return main;
            }
        }

        return null;
    }

    public static Task<AzuriteLauncher> StartAsync(string searchFrom, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        StartAsync(searchFrom, new AzuriteStartOptions(), timeout, cancellationToken);

    /// <summary>Starts Azurite; with <see cref="AzuriteStartOptions.Location"/> its data persists in that folder (so a
    /// stop and a start on the same ports is a storage outage, not a new account), otherwise it lives in memory.</summary>
    public static async Task<AzuriteLauncher> StartAsync(string searchFrom, AzuriteStartOptions start, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        // A free port is only free until someone takes it: with many test projects starting Azurites at once, another
        // process can bind it between our check and Azurite's listen. Then try other free ports (unless ports were given).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(searchFrom, start, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (AzuriteException e) when (attempt < 5 && start.BlobPort is null && start.QueuePort is null && e.Message.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
            }
        }
    }

    private static async Task<AzuriteLauncher> StartOnceAsync(string searchFrom, AzuriteStartOptions start, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var script = FindAzurite(searchFrom) ?? FindAzurite(AppContext.BaseDirectory)
            ?? throw new AzuriteException("Azurite is not installed in this repository: run `npm ci` in the repository root (scripts/demo.sh and scripts/test.sh do)");
        var blobPort = start.BlobPort ?? FreePort();
        var queuePort = start.QueuePort ?? FreePort();
        var tablePort = FreePort();
        var workDir = Path.Combine(Path.GetTempPath(), "smed-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workDir);
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = workDir, // Azurite writes its debug/log files to the current directory

            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = start.Location is null ? ["--inMemoryPersistence"] : ["--location", start.Location];
        string[] tls = start.CertificatePem is { } cert && start.KeyPem is { } key ? ["--cert", cert, "--key", key] : [];
        string[] oauth = start.OAuth ? ["--oauth", "basic"] : [];
        // SMED_AZURITE_CPU_PROF=FOLDER: node writes a V8 CPU profile of the emulator there when it exits (a
        // diagnostic: where Azurite's time goes under a bench). Written only on a clean exit: see DisposeAsync.
        if (CpuProfileFolder is { } profDir)
        {
            psi.ArgumentList.Add("--cpu-prof");
            psi.ArgumentList.Add("--cpu-prof-dir=" + profDir);
        }

        foreach (var a in new[]
        {
            // --disableTelemetry: Azurite otherwise collects usage telemetry and sends it to Application Insights
            // from the user's machine (and spends CPU on it per request).
            script, "--silent", "--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", blobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", queuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", tablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.Concat(persistence).Concat(tls).Concat(oauth))
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new AzuriteException("could not start node for Azurite");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new AzuriteException($"could not start Azurite: node is not on PATH ({e.Message})");
        }

        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var launcher = new AzuriteLauncher(process, blobPort, queuePort, workDir) { Scheme = start.CertificatePem is null ? "http" : "https" };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                string err;
                lock (stderr)
                {
                    err = stderr.ToString().Trim();
                }

                var code = process.ExitCode;
                await launcher.DisposeAsync().ConfigureAwait(false);
                var detail = err.Contains("EADDRINUSE", StringComparison.Ordinal) ? ": a port was taken meanwhile (EADDRINUSE)" : err.Length > 0 ? ": " + err.Split('\n')[0] : string.Empty;
                throw new AzuriteException($"Azurite exited at start (code {code}){detail}");
            }

            if (await CanConnect(blobPort).ConfigureAwait(false) && await CanConnect(queuePort).ConfigureAwait(false))
            {
                return launcher;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        await launcher.DisposeAsync().ConfigureAwait(false);
        throw new AzuriteException("Azurite did not open its ports within the time limit");
    }

    /// <summary>Stops Azurite the way a service stops (SIGINT: it saves its data first), waiting for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var signal = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync().ConfigureAwait(false);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>Stops Azurite (used by tests that simulate the storage service going away).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
    }

    private static string? CpuProfileFolder => Environment.GetEnvironmentVariable("SMED_AZURITE_CPU_PROF") is { Length: > 0 } folder ? folder : null;

    public async ValueTask DisposeAsync()
    {
        if (CpuProfileFolder is not null)
        {
            await StopAsync().ConfigureAwait(false); // a profile is written only when node exits by itself
        }

        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task<bool> CanConnect(int port)
    {
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

public sealed class AzuriteException(string message) : Exception(message);

/// <summary>Where Azurite keeps its data (null: in memory) and which ports it listens on (null: free ones). With a
/// certificate and key (PEM files) it serves HTTPS, and with <see cref="OAuth"/> it accepts bearer tokens as Azure
/// Storage does ("basic": issuer, audience and expiry are checked, not the signature), so clients can authenticate
/// with a TokenCredential as they do in Azure.</summary>
public sealed record AzuriteStartOptions(string? Location = null, int? BlobPort = null, int? QueuePort = null)
{
    public string? CertificatePem { get; init; }

    public string? KeyPem { get; init; }

    public bool OAuth { get; init; }
}
