using System.IO.Compression;
using System.Text.Json;
using ServerlessMed.Testing;

namespace ServerlessMed.Hosts.Tests;

/// <summary>What scripts/package-functions.sh makes is what the Functions host loads: the generated functions.metadata
/// lists each function with its trigger, queue and connection; the worker extension bundle (.azurefunctions/) and
/// worker.config.json are there; host.json has no custom handler; the zip holds them at its root; one platform's
/// native libraries only; no Azurite launcher.</summary>
public sealed class PublishedPackageTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "smed-package-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }

    [Fact]
    public void The_package_has_the_generated_metadata_the_extension_bundle_and_the_worker_config_at_its_root()
    {
        var run = ExternalTool.Run("bash", [Path.Combine(Corpus.RepoRoot, "scripts", "package-functions.sh"), _out], timeoutMs: 900_000);
        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        var zipPath = run.StdOut.Trim().Split('\n')[^1];
        Assert.Equal(Path.Combine(_out, "serverlessmed-functions.zip"), zipPath);
        var publish = Path.Combine(_out, "publish");

        var functions = JsonDocument.Parse(File.ReadAllText(Path.Combine(publish, "functions.metadata"))).RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(["index", "ingest", "similar", "status"], functions.Keys.Order(StringComparer.Ordinal));
        var ingest = functions["ingest"];
        Assert.Equal("dotnet-isolated", ingest.GetProperty("language").GetString());
        Assert.Equal("ServerlessMed.Functions.dll", ingest.GetProperty("scriptFile").GetString());
        var trigger = Assert.Single(ingest.GetProperty("bindings").EnumerateArray());
        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("In", trigger.GetProperty("direction").GetString());
        Assert.Equal("ingest", trigger.GetProperty("queueName").GetString());
        Assert.Equal("TenantStorage", trigger.GetProperty("connection").GetString());
        var status = functions["status"].GetProperty("bindings").EnumerateArray().ToList();
        var http = status.Single(b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal("studies/{study}/status", http.GetProperty("route").GetString());
        Assert.Equal("Function", http.GetProperty("authLevel").GetString());
        Assert.Equal(["get"], http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Contains(status, b => b.GetProperty("type").GetString() == "http" && b.GetProperty("direction").GetString() == "Out");
        var similar = functions["similar"].GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal("similar", similar.GetProperty("route").GetString());
        var timer = Assert.Single(functions["index"].GetProperty("bindings").EnumerateArray());
        Assert.Equal("timerTrigger", timer.GetProperty("type").GetString());
        Assert.Equal("0 */5 * * * *", timer.GetProperty("schedule").GetString());

        // The host loads the queue trigger's WebJobs extension from .azurefunctions/.
        Assert.True(File.Exists(Path.Combine(publish, ".azurefunctions", "Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll")));
        // The timer trigger's extension ships with the host; the bundle only names it.
        var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(publish, ".azurefunctions", "function.deps.json"))).RootElement.GetProperty("libraries");
        Assert.Contains(deps.EnumerateObject(), l => l.Name.StartsWith("Microsoft.Azure.WebJobs.Extensions/", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(publish, ".azurefunctions", "function.deps.json")));
        var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(publish, "worker.config.json"))).RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("ServerlessMed.Functions.dll", worker.GetProperty("defaultWorkerPath").GetString());

        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(publish, "host.json"))).RootElement;
        Assert.False(host.TryGetProperty("customHandler", out _));
        Assert.False(host.TryGetProperty("extensionBundle", out _)); // isolated worker: extensions come from .azurefunctions/
        Assert.Equal(5, host.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32());

        // Linux x64 only: the CPU ONNX Runtime for the encoder, and no other platform's binaries.
        Assert.True(File.Exists(Path.Combine(publish, "libonnxruntime.so")));
        Assert.False(Directory.Exists(Path.Combine(publish, "runtimes", "win-x64")));
        // The Azurite launcher is for smed demo/run and the tests: the app ships the pipeline, not the emulator.
        Assert.True(File.Exists(Path.Combine(publish, "ServerlessMed.Pipeline.dll")));
        Assert.False(File.Exists(Path.Combine(publish, "ServerlessMed.Azurite.dll")), "the Azurite launcher must not ship in the Functions app");

        using var zip = ZipFile.OpenRead(zipPath);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var required in new[] { "functions.metadata", "worker.config.json", "host.json", "ServerlessMed.Functions.dll", ".azurefunctions/function.deps.json", "libonnxruntime.so" })
        {
            Assert.Contains(required, entries);
        }

        Assert.Equal(Directory.GetFiles(publish, "*", SearchOption.AllDirectories).Length, zip.Entries.Count(e => !e.FullName.EndsWith('/')));
    }
}
