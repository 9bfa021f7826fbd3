using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.Hosts.Tests;

/// <summary>The worker built as its container image builds it (-p:OrtFlavor=Gpu: ONNX Runtime's Linux CUDA package),
/// run here, where the CUDA provider cannot load (no libcublasLt.so.13, no device): with Auto it says so in one line and
/// serves a request on CPU; with Cuda it refuses to start. scripts/test.sh builds that flavour before the tests.</summary>
public sealed class GpuWorkerBuildTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Lazy<string> GpuBuild = new(() =>
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var project = Path.Combine(Corpus.RepoRoot, "gpu-worker", "ServerlessMed.GpuWorker");
        // Built (incrementally: quick when scripts/test.sh has just built it) so the test never runs a stale worker.
        var build = ExternalTool.Run("dotnet", ["build", project, "-c", configuration, "-p:OrtFlavor=Gpu", "-nologo", "-v", "q"], timeoutMs: 900_000);
        Assert.True(build.ExitCode == 0, build.StdOut + build.StdErr);
        return Path.Combine(project, "bin-gpu", configuration, "net10.0", "ServerlessMed.GpuWorker.dll");
    });

    [Fact]
    public void The_gpu_build_carries_the_cuda_provider_and_the_same_managed_onnx_runtime_as_the_cpu_build()
    {
        var folder = Path.GetDirectoryName(GpuBuild.Value)!;
        var native = Path.Combine(folder, "runtimes", "linux-x64", "native");
        Assert.True(File.Exists(Path.Combine(native, "libonnxruntime_providers_cuda.so")), "no CUDA provider in " + native);
        Assert.False(Directory.Exists(Path.Combine(folder, "runtimes", "win-x64")), "the Linux GPU package must not bring Windows binaries");
        var gpuManaged = AssemblyName.GetAssemblyName(Path.Combine(folder, "Microsoft.ML.OnnxRuntime.dll")).Version;
        var cpuManaged = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version;
        Assert.Equal(cpuManaged, gpuManaged);
        // The worker's image is this folder: the Azurite launcher (local and test side only) is not in it.
        Assert.False(File.Exists(Path.Combine(folder, "ServerlessMed.Azurite.dll")), "the Azurite launcher must not ship in the GPU worker");
    }

    private sealed class WorkerProcess : IAsyncDisposable
    {
        private readonly Process _process;

        public WorkerProcess(IDictionary<string, string> env)
        {
            var psi = new ProcessStartInfo("dotnet", [GpuBuild.Value]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }

            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) => Add(e.Data);
            _process.ErrorDataReceived += (_, e) => Add(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public ConcurrentQueue<string> Lines { get; } = new();

        public string Output => string.Join('\n', Lines);

        public Process Process => _process;

        private void Add(string? line)
        {
            if (line is not null)
            {
                Lines.Enqueue(line);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task With_auto_the_gpu_build_says_in_one_line_that_cuda_is_unavailable_and_serves_a_request_on_cpu()
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString });
        await storage.EnsureCreatedAsync(Ct);
        await storage.Container(storage.Options.Deid).GetBlobClient("s/gpu.dcm").UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);
        var port = FreePort();
        await using var worker = new WorkerProcess(new Dictionary<string, string>
        {
            ["TenantStorage"] = azurite.ConnectionString,
            ["SMED_DIFFUSION_MODEL_FOLDER"] = TestModels.Diffusion,
            ["SMED_EXECUTION_PROVIDER"] = "Auto",
            ["SMED_HEALTH_URL"] = $"http://127.0.0.1:{port}",
            ["SMED_LEASE_SECONDS"] = "30",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        string? ready = null;
        for (var i = 0; i < 600 && ready is null && !worker.Process.HasExited; i++)
        {
            try
            {
                using var r = await http.GetAsync("readyz", Ct);
                ready = r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync(Ct) : null;
            }
            catch (HttpRequestException)
            {
            }

            if (ready is null)
            {
                await Task.Delay(100, Ct);
            }
        }

        Assert.True(ready is not null, worker.Output);
        Assert.Contains("\"provider\":\"CPUExecutionProvider\"", ready, StringComparison.Ordinal);
        var fallback = worker.Lines.Where(l => l.Contains("CUDA execution provider unavailable", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(fallback);
        Assert.Contains("libcublasLt.so.13", line, StringComparison.Ordinal);
        Assert.EndsWith("; using CPU", line, StringComparison.Ordinal);

        var request = new GenerationMessage
        {
            RequestId = "gpu-build-cpu",
            StudyUid = "2.25.7",
            SeriesUid = "2.25.8",
            SopUid = "2.25.9",
            DeidBlob = "s/gpu.dcm",
            Prompt = "a ct image of the chest",
            Scheduler = "ddim",
            Steps = 2,
            Count = 1,
            Seed = 1,
        };
        await new StorageJobQueue(storage.Queue(storage.Options.GenerationQueue), storage.Queue(storage.Options.GenerationQueue + "-poison")).SendAsync(request.ToJson(), Ct);
        var provenance = storage.Container(storage.Options.Generated).GetBlobClient("2.25.7/gpu-build-cpu/request.json");
        for (var i = 0; i < 600 && !(await provenance.ExistsAsync(Ct)).Value; i++)
        {
            Assert.False(worker.Process.HasExited, worker.Output);
            await Task.Delay(100, Ct);
        }

        var json = (await provenance.DownloadContentAsync(Ct)).Value.Content.ToString();
        Assert.Contains("\"executionProvider\": \"CPUExecutionProvider\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_cuda_required_the_gpu_build_refuses_to_start_in_one_line()
    {
        await using var worker = new WorkerProcess(new Dictionary<string, string>
        {
            ["TenantStorage"] = azurite.ConnectionString,
            ["SMED_DIFFUSION_MODEL_FOLDER"] = TestModels.Diffusion,
            ["SMED_EXECUTION_PROVIDER"] = "Cuda",
            ["SMED_HEALTH_URL"] = $"http://127.0.0.1:{FreePort()}",
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await worker.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(3, worker.Process.ExitCode);
        var refusal = Assert.Single(worker.Lines, l => l.Contains("cannot start", StringComparison.Ordinal));
        Assert.Contains("the CUDA execution provider is not available", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(worker.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_settings_stop_the_worker_before_it_starts_naming_each_one()
    {
        await using var worker = new WorkerProcess(new Dictionary<string, string> { ["SMED_HEALTH_URL"] = $"http://127.0.0.1:{FreePort()}" });
        await worker.Process.WaitForExitAsync(Ct);
        Assert.Equal(3, worker.Process.ExitCode);
        Assert.Contains(worker.Lines, l => l.StartsWith("generation worker cannot start: TenantStorage__blobServiceUri is not set", StringComparison.Ordinal));
        Assert.Contains(worker.Lines, l => l.StartsWith("generation worker cannot start: SMED_DIFFUSION_MODEL_ID is not set", StringComparison.Ordinal));
        Assert.DoesNotContain(worker.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}
