using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ServerlessMed.Deid.BurnedIn;
using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>A tenant's de-identification policy: the policy file (policy/schema.json) less the sections other parts
/// read (<see cref="SectionsReadElsewhere"/>). Validated when loaded: every error names the JSON field.</summary>
/// <remarks>Settable properties (not init-only) because the source-generated JSON reader leaves init-only members
/// it does not find in the document at default(T), not at their initialisers.</remarks>
public sealed class DeidPolicy
{
    public static DeidPolicy Default { get; } = new();

    /// <summary>Basic Profile (default) or a keep-list of what is known to be safe (<see cref="DeidMode"/>).</summary>
    public DeidMode Mode { get; set; } = DeidMode.BasicProfile;

    /// <summary>PS3.15 options applied on top of the Basic Profile.</summary>
    public IReadOnlyList<DeidOption> Options { get; set; } = [];

    /// <summary>Tags kept whatever the profile says (keywords or (gggg,eeee)).</summary>
    public IReadOnlyList<string> Keep { get; set; } = [];

    /// <summary>Tags removed whatever the profile says.</summary>
    public IReadOnlyList<string> Remove { get; set; } = [];

    /// <summary>Private attributes kept under Retain Safe Private: creator and element (low byte), e.g. {"creator":"GEMS_ACQU_01","element":"0x10"}.</summary>
    public IReadOnlyList<SafePrivateAttribute> SafePrivate { get; set; } = [];

    /// <summary>Patient ID and Name pseudonym; {hash} becomes 16 hex digits of the keyed hash.</summary>
    public string PseudonymFormat { get; set; } = "SMED-{hash}";

    /// <summary>Largest date shift in days under Retain Longitudinal Modified Dates.</summary>
    public int DateShiftRangeDays { get; set; } = 365;

    /// <summary>Superseded by <see cref="BurnedIn"/> and still read: "quarantine" or "allow" (see
    /// <see cref="BurnedInPolicy.FromLegacy"/>). A policy gives one or the other.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BurnedInAnnotation { get; set; }

    /// <summary>Burned-in text detection and masking (BurnedIn/BurnedInPolicy.cs).</summary>
    public BurnedInPolicy BurnedIn { get => _burnedIn ??= BurnedInPolicy.FromLegacy(BurnedInAnnotation); set => _burnedIn = value; }

    private BurnedInPolicy? _burnedIn;

    [JsonIgnore]
    public IReadOnlySet<DeidOption> OptionSet => Options.ToHashSet();

    /// <summary>Top-level sections of a tenant's policy file that are not de-identification: <c>generation</c>, read by
    /// the pipeline (src/ServerlessMed.Pipeline/Stages/GenerationPolicy.cs, with the whole file, TenantPolicy.cs).
    /// Skipped here, so <c>smed deid</c> takes a tenant's whole file; any other unknown field is an error.</summary>
    public static IReadOnlyList<string> SectionsReadElsewhere { get; } = ["generation"];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters =
        {
            new JsonStringEnumConverter<DeidOption>(JsonNamingPolicy.CamelCase, allowIntegerValues: false),
            new JsonStringEnumConverter<DeidMode>(JsonNamingPolicy.CamelCase, allowIntegerValues: false),
        },
        TypeInfoResolver = DeidJsonContext.Default,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static DeidPolicy Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), Path.GetFileName(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DeidPolicyException($"policy file '{path}' does not exist");
        }
    }

    public static DeidPolicy Parse(string json, string source = "policy")
    {
        try
        {
            // Syntax first, so that a file that is not JSON at all (YAML, a key file) is called that, not a field error.
            using var syntax = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new DeidPolicyException($"{source}: the policy is not valid JSON (line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {Describe(e)})");
        }

        DeidPolicy? policy;
        try
        {
            policy = (DeidPolicy?)JsonSerializer.Deserialize(WithoutSectionsReadElsewhere(json), typeof(DeidPolicy), Json);
        }
        catch (JsonException e)
        {
            // System.Text.Json names the JSON path ($.options[1]) of the offending field.
            throw new DeidPolicyException($"{source}: {e.Path ?? "$"}: {Describe(e)}");
        }

        if (policy is null)
        {
            throw new DeidPolicyException($"{source}: the policy is empty");
        }

        policy.Validate(source);
        return policy;
    }

    /// <summary>The document without <see cref="SectionsReadElsewhere"/> (as text, so the reader still names
    /// the JSON path of an offending field). A root that is not an object is left for the reader to reject.</summary>
    private static string WithoutSectionsReadElsewhere(string json)
    {
        if (JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) is not JsonObject root
            || !SectionsReadElsewhere.Any(root.ContainsKey))
        {
            return json;
        }

        foreach (var section in SectionsReadElsewhere)
        {
            root.Remove(section);
        }

        return root.ToJsonString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, typeof(DeidPolicy), new JsonSerializerOptions(Json) { WriteIndented = true });

    private void Validate(string source)
    {
        for (var i = 0; i < Keep.Count; i++)
        {
            if (!DicomTag.TryParse(Keep[i], out _))
            {
                throw new DeidPolicyException($"{source}: $.keep[{i}]: '{Keep[i]}' is not a tag or keyword");
            }
        }

        for (var i = 0; i < Remove.Count; i++)
        {
            if (!DicomTag.TryParse(Remove[i], out _))
            {
                throw new DeidPolicyException($"{source}: $.remove[{i}]: '{Remove[i]}' is not a tag or keyword");
            }
        }

        if (!PseudonymFormat.Contains("{hash}", StringComparison.Ordinal) || PseudonymFormat.Length > 48)
        {
            throw new DeidPolicyException($"{source}: $.pseudonymFormat: must contain {{hash}} and be at most 48 characters");
        }

        if (DateShiftRangeDays is < 1 or > 36500)
        {
            throw new DeidPolicyException($"{source}: $.dateShiftRangeDays: must be between 1 and 36500");
        }

        if (BurnedInAnnotation is not (null or "quarantine" or "allow"))
        {
            throw new DeidPolicyException($"{source}: $.burnedInAnnotation: must be \"quarantine\" or \"allow\" (or use $.burnedIn)");
        }

        if (BurnedInAnnotation is not null && _burnedIn is not null)
        {
            throw new DeidPolicyException($"{source}: $.burnedInAnnotation: superseded by $.burnedIn; give only $.burnedIn");
        }

        BurnedIn.Validate(source);

        if (Options.Contains(DeidOption.RetainLongitudinalFullDates) && Options.Contains(DeidOption.RetainLongitudinalModifiedDates))
        {
            throw new DeidPolicyException($"{source}: $.options: retainLongitudinalFullDates and retainLongitudinalModifiedDates exclude each other");
        }
    }

    private static string Describe(JsonException e)
    {
        var message = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.', ' ');

        // A value outside a closed set: name the set rather than the CLR type.
        foreach (var set in (Type[])[typeof(DeidOption), typeof(DeidMode), typeof(BurnedInDetection), typeof(BurnedInAction)])
        {
            if (message.Contains(set.FullName!, StringComparison.Ordinal))
            {
                return "must be one of " + string.Join(", ", Enum.GetNames(set).Select(JsonNamingPolicy.CamelCase.ConvertName));
            }
        }

        return message.Replace("ServerlessMed.Deid.", string.Empty, StringComparison.Ordinal);
    }
}

public sealed record SafePrivateAttribute(string Creator, string Element);

/// <summary>A tenant's policy file is missing, not JSON, or has a wrong field (named); thrown for its generation
/// section too (Pipeline/Stages/GenerationPolicy.cs), so a host reports every policy error the same way.</summary>
public sealed class DeidPolicyException(string message) : Exception(message);
