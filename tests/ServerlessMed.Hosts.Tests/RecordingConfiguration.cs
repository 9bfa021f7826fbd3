using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;

namespace ServerlessMed.Hosts.Tests;

/// <summary>Configuration from app settings as Azure sets them (names with "__", values as strings), remembering every
/// key the host asked for: a setting nobody asks for is a setting no code reads.</summary>
internal sealed class RecordingConfiguration
{
    private readonly Provider _provider;

    public RecordingConfiguration(IReadOnlyDictionary<string, string> appSettings)
    {
        _provider = new Provider(appSettings.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value, StringComparer.OrdinalIgnoreCase));
        Configuration = new ConfigurationBuilder().Add(new Source(_provider)).Build();
    }

    public IConfigurationRoot Configuration { get; }

    /// <summary>App-setting names ("TenantStorage__clientId") that were read and exist.</summary>
    public IReadOnlySet<string> Read => _provider.Reads.Select(k => k.Replace(":", "__", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private sealed class Source(Provider provider) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => provider;
    }

    private sealed class Provider(Dictionary<string, string?> data) : ConfigurationProvider
    {
        public ConcurrentBag<string> Reads { get; } = [];

        public override void Load() => Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);

        public override bool TryGet(string key, out string? value)
        {
            var found = base.TryGet(key, out value);
            if (found)
            {
                Reads.Add(key);
            }

            return found;
        }
    }
}
