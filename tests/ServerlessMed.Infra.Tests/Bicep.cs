using System.Reflection;
using System.Text.Json.Nodes;
using ServerlessMed.Testing;

namespace ServerlessMed.Infra.Tests;

/// <summary>The Bicep CLI restored from the NuGet package Azure.Bicep.CommandLine.linux-x64.</summary>
internal static class Bicep
{
    public static string Executable
    {
        get
        {
            var path = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
            }

            return path;
        }
    }

    public static string Infra => Path.Combine(Corpus.RepoRoot, "infra");

    public static ExternalTool.Result Run(params string[] args) =>
        ExternalTool.Run(Executable, args, timeoutMs: 300_000, env: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });

    /// <summary>The compiled ARM template of infra/main.bicep.</summary>
    public static JsonObject CompileMain()
    {
        var r = Run("build", Path.Combine(Infra, "main.bicep"), "--stdout");
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("bicep build failed: " + r.StdErr);
        }

        return JsonNode.Parse(r.StdOut)!.AsObject();
    }

    /// <summary>Every resource the template deploys, in it and in its nested (module) deployments, with the
    /// template that declares it (for its variables). References to existing resources are left out.</summary>
    public static IEnumerable<(JsonObject Resource, JsonObject Template)> AllResources(JsonObject template)
    {
        var resources = template["resources"];
        var list = resources is JsonArray a ? a.Select(n => n!.AsObject()) : resources!.AsObject().Select(kv => kv.Value!.AsObject());
        foreach (var r in list)
        {
            if (r["existing"] is JsonValue e && (bool)e)
            {
                continue;
            }

            yield return (r, template);
            if ((string?)r["type"] == "Microsoft.Resources/deployments" && r["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in AllResources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    public static IEnumerable<JsonObject> OfType(JsonObject template, string type) =>
        AllResources(template).Where(r => string.Equals((string?)r.Resource["type"], type, StringComparison.OrdinalIgnoreCase)).Select(r => r.Resource);
}
