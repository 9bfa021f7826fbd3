using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>The Functions custom handler as the Functions host drives it: started as its own process on
/// FUNCTIONS_CUSTOMHANDLER_PORT, sent the host's invocation payloads (Data by binding name, Metadata with the
/// trigger metadata and "sys"), answering Outputs / Logs / ReturnValue; storage effects checked on Azurite.</summary>
public sealed class FunctionsHandlerTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Process? _handler;
    private HttpClient _http = new();

    public async ValueTask InitializeAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var project = Path.Combine(Corpus.RepoRoot, "functions", "ServerlessMed.Functions");
        var dll = Path.Combine(project, "bin", configuration, "net10.0", "ServerlessMed.Functions.dll");
        if (!File.Exists(dll))
        {
            var build = ExternalTool.Run("dotnet", ["build", project, "-c", configuration, "-nologo", "-v", "q"], timeoutMs: 600_000);
            Assert.True(build.ExitCode == 0, build.StdOut);
        }

        var port = FreePort();
        var key = Path.Combine(Path.GetTempPath(), $"smed-fn-{Guid.NewGuid():N}.key");
        await File.WriteAllTextAsync(key, new string('c', 64));
        var psi = new ProcessStartInfo("dotnet", [dll]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["TenantStorage"] = azurite.ConnectionString;
        psi.Environment["SMED_KEY_FILE"] = key;
        psi.Environment["SMED_MODELS"] = TestModels.Folder;
        _handler = Process.Start(psi)!;
        _handler.OutputDataReceived += (_, _) => { };
        _handler.ErrorDataReceived += (_, _) => { };
        _handler.BeginOutputReadLine();
        _handler.BeginErrorReadLine();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Fail("the custom handler did not open its port");
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_handler is { HasExited: false })
        {
            _handler.Kill(entireProcessTree: true);
        }

        _handler?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    // What the host sends for a queue trigger: the message text under the binding's name, the trigger metadata.
    private static object QueueInvocation(string message, int dequeueCount) => new
    {
        Data = new Dictionary<string, object> { ["event"] = message },
        Metadata = new Dictionary<string, object>
        {
            ["DequeueCount"] = dequeueCount,
            ["ExpirationTime"] = DateTimeOffset.UtcNow.AddDays(7).ToString("O"),
            ["Id"] = Guid.NewGuid().ToString(),
            ["InsertionTime"] = DateTimeOffset.UtcNow.ToString("O"),
            ["NextVisibleTime"] = DateTimeOffset.UtcNow.AddSeconds(30).ToString("O"),
            ["PopReceipt"] = "AgAAAAMAAAAAAAAA",
            ["sys"] = new { MethodName = "ingest", UtcNow = DateTimeOffset.UtcNow.ToString("O"), RandGuid = Guid.NewGuid().ToString() },
        },
    };

    [Fact]
    public async Task Ingest_invocations_process_an_upload_once_and_report_to_the_host()
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString });
        await storage.EnsureCreatedAsync(Ct);
        var upload = storage.Container(storage.Options.Uploads).GetBlobClient("fn/Doe^Jane_ct.dcm");
        var put = await upload.UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);
        var ev = BlobCreatedEvent.For(storage.Options.Uploads, "fn/Doe^Jane_ct.dcm", upload.Uri, 39206, put.Value.ETag.ToString()).ToJson();

        using var first = await _http.PostAsJsonAsync("ingest", QueueInvocation(ev, 1), Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("Processed", body.GetProperty("ReturnValue").GetString());
        Assert.Contains("ingest: Processed", body.GetProperty("Logs")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);

        var inv = await StorageInventory.ReadAsync(storage, Ct);
        var study = Assert.Single(inv.DeidInstances).Split('/')[0];
        Assert.Empty(inv.Uploads);

        // The host delivering the same message again (after a timeout, say): nothing more happens.
        using var again = await _http.PostAsJsonAsync("ingest", QueueInvocation(ev, 2), Ct);
        Assert.Equal("AlreadyProcessed", JsonDocument.Parse(await again.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("ReturnValue").GetString());
        Assert.Single((await StorageInventory.ReadAsync(storage, Ct)).DeidInstances);

        // HTTP trigger "status" (route studies/{study}/status): the route value arrives in Metadata.
        var status = new
        {
            Data = new { req = new { Url = $"http://localhost/api/studies/{study}/status", Method = "GET", Query = new { }, Headers = new { }, Params = new { study } } },
            Metadata = new Dictionary<string, object> { ["study"] = study, ["sys"] = new { MethodName = "status", UtcNow = DateTimeOffset.UtcNow.ToString("O") } },
        };
        using var s = await _http.PostAsJsonAsync("status", status, Ct);
        var ret = JsonDocument.Parse(await s.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("Outputs").GetProperty("$return");
        Assert.Equal(200, ret.GetProperty("statusCode").GetInt32());
        Assert.Equal(1, JsonDocument.Parse(ret.GetProperty("body").GetString()!).RootElement.GetProperty("instances").GetInt32());

        var bad = new { Data = new { req = new { Url = "http://localhost/api/studies/x/status", Method = "GET" } }, Metadata = new Dictionary<string, object> { ["study"] = "Doe^Jane" } };
        using var b = await _http.PostAsJsonAsync("status", bad, Ct);
        var badRet = JsonDocument.Parse(await b.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("Outputs").GetProperty("$return");
        Assert.Equal(400, badRet.GetProperty("statusCode").GetInt32());
        Assert.DoesNotContain("Doe^Jane", badRet.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_message_is_answered_with_an_error_so_the_host_retries_and_then_poisons_it()
    {
        using var r = await _http.PostAsJsonAsync("ingest", QueueInvocation("{\"not\": \"an event\"}", 1), Ct);
        Assert.False(r.IsSuccessStatusCode);
        using var missing = await _http.PostAsJsonAsync("ingest", new { Data = new { }, Metadata = new { } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }
}
