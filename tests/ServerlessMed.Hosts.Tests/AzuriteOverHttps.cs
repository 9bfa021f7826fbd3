using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using ServerlessMed.Azurite;
using ServerlessMed.Testing;

namespace ServerlessMed.Hosts.Tests;

/// <summary>Azurite serving HTTPS with OAuth ("basic": it checks a bearer token's issuer, audience and expiry, not its
/// signature), so a host's clients authenticate exactly as in Azure: service URIs and a TokenCredential, no keys. The
/// certificate is made for the run (127.0.0.1) and trusted only by the transport handed to the clients under test.</summary>
public sealed class AzuriteOverHttps : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "smed-azurite-tls-" + Guid.NewGuid().ToString("N"));
    private AzuriteLauncher? _azurite;
    private X509Certificate2? _certificate;

    public AzuriteLauncher Azurite => _azurite ?? throw new InvalidOperationException("Azurite is not running");

    /// <summary>Token requests the hosts made (their scopes), through <see cref="Credential"/>.</summary>
    public TestTokenCredential Credential { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPem = Path.Combine(_folder, "cert.pem");
        var keyPem = Path.Combine(_folder, "key.pem");
        await File.WriteAllTextAsync(certPem, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPem, key.ExportPkcs8PrivateKeyPem());
        _azurite = await AzuriteLauncher.StartAsync(Corpus.RepoRoot, new AzuriteStartOptions { CertificatePem = certPem, KeyPem = keyPem, OAuth = true });
    }

    /// <summary>A transport that trusts this run's certificate and nothing else self-signed.</summary>
    public HttpPipelineTransport Transport()
    {
        var thumbprint = _certificate!.Thumbprint;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, errors) => errors == SslPolicyErrors.None || cert?.Thumbprint == thumbprint,
        };
        return new HttpClientTransport(handler);
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }

        _certificate?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>Hands out bearer tokens shaped like Entra ID's for Azure Storage (unsigned: Azurite's basic OAuth does not
/// check signatures) and records the scopes asked for.</summary>
public sealed class TestTokenCredential : TokenCredential
{
    public ConcurrentBag<string> Scopes { get; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        foreach (var scope in requestContext.Scopes)
        {
            Scopes.Add(scope);
        }

        var now = DateTimeOffset.UtcNow;
        static string B64(object o) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(o)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = string.Join('.',
            B64(new { alg = "RS256", typ = "JWT" }),
            B64(new
            {
                aud = "https://storage.azure.com",
                iss = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
                iat = now.AddMinutes(-1).ToUnixTimeSeconds(),
                nbf = now.AddMinutes(-1).ToUnixTimeSeconds(),
                exp = now.AddHours(1).ToUnixTimeSeconds(),
                oid = "00000000-0000-0000-0000-00000000a11d",
                tid = "72f988bf-86f1-41af-91ab-2d7cd011db47",
            }),
            Convert.ToBase64String(Encoding.ASCII.GetBytes("unsigned")).TrimEnd('='));
        return new AccessToken(token, now.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
