using System.Text.Json;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>Why an upload could not be processed. Codes are stable; messages never hold element values or upload names.</summary>
public sealed record QuarantineReason(string Id, string Stage, string Code, string Message, long Size, DateTimeOffset QuarantinedAt, string? EventId);

/// <summary>Puts an upload that cannot be processed into quarantine/{id}/ with reason.json; nothing is dropped.</summary>
public sealed class QuarantineWriter(TenantStorage storage)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task WriteAsync(string id, string originalPath, QuarantineReason reason, CancellationToken cancellationToken = default)
    {
        var container = storage.Options.Quarantine;
        // The original first, then the reason: a reason.json always has its data beside it.
        await storage.WriteOnceAsync(container, $"{StorageLayout.QuarantineFolder(id)}/original.bin", originalPath, "application/octet-stream", cancellationToken).ConfigureAwait(false);
        await storage.WriteOnceAsync(container, $"{StorageLayout.QuarantineFolder(id)}/reason.json", BinaryData.FromString(JsonSerializer.Serialize(reason, Json)), "application/json", cancellationToken).ConfigureAwait(false);
    }
}
