using Microsoft.Extensions.Options;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>A host's settings, read from configuration with the problems found.</summary>
public interface IHostSettings
{
    IReadOnlyList<string> Problems { get; }

    /// <summary>Fills the settings from configuration, recording problems instead of throwing.</summary>
    void Load(Microsoft.Extensions.Configuration.IConfiguration configuration);
}

/// <summary>Turns <see cref="IHostSettings.Problems"/> into an options validation failure, so the host refuses to
/// start (ValidateOnStart) with every wrong setting named.</summary>
public sealed class HostSettingsValidator<T> : IValidateOptions<T>
    where T : class, IHostSettings
{
    public ValidateOptionsResult Validate(string? name, T options) =>
        options.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Problems);
}
