using ServerlessMed.Files.Archives;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Workflow.Zip;

/// <summary>The one zip loop: a zip is checked against the limits first (a bomb is quarantined whole, never
/// expanded), then each file entry is expanded to a scratch file while streaming and run as an input of its own
/// (label <c>{zip}/{n}</c>); an entry that cannot be expanded is quarantined, the others go on. The zip's own record
/// (status expanded) is committed after its last entry.</summary>
internal sealed class ZipInputs(InstanceWorkflow workflow, ZipLimits limits)
{
    /// <summary>True when the input starts with a zip signature; a file whose first bytes cannot be read is left to
    /// the DICOM reader to report.</summary>
    public static bool IsZip(WorkflowInput input)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            if (input.Handle is { } handle)
            {
                return RandomAccess.Read(handle, magic, 0) == 4 && ZipExpander.IsZipMagic(magic);
            }

            using var h = File.OpenHandle(input.Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return RandomAccess.Read(h, magic, 0) == 4 && ZipExpander.IsZipMagic(magic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<InstanceResult>> RunAsync(WorkflowInput zip, IWorkflowSink sink, CancellationToken cancellationToken)
    {
        int count;
        try
        {
            count = ZipExpander.Validate(zip.Path, limits);
        }
        catch (ZipRejectedException e)
        {
            return [await InstanceWorkflow.QuarantineAsync(zip, zip.Path, QuarantineStage.Expand, e, sink, cancellationToken).ConfigureAwait(false)];
        }

        var results = new List<InstanceResult>(count + 1);
        var scratch = Directory.CreateTempSubdirectory("smed-zip").FullName;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var entry = zip.Entry(i, Path.Combine(scratch, $"{i}.dcm"));
                try
                {
                    try
                    {
                        ZipExpander.ExtractEntry(zip.Path, i, entry.Path, limits);
                    }
                    catch (Exception e) when (e is ZipRejectedException or InvalidDataException or IOException)
                    {
                        var reason = e as ZipRejectedException ?? new ZipRejectedException("zip-unreadable", $"zip entry {i + 1} cannot be expanded ({e.GetType().Name})");
                        results.Add(await InstanceWorkflow.QuarantineAsync(entry, File.Exists(entry.Path) ? entry.Path : zip.Path, QuarantineStage.Expand, reason, sink, cancellationToken).ConfigureAwait(false));
                        continue;
                    }

                    results.Add(await workflow.RunAsync(entry, sink, cancellationToken).ConfigureAwait(false));
                }
                finally
                {
                    File.Delete(entry.Path);
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        await sink.CommitAsync(zip, new InstanceRecord { Input = zip.Label, Status = InstanceOutcome.Expanded, Entries = count }, null, cancellationToken).ConfigureAwait(false);
        results.Add(new InstanceResult(zip.Label, InstanceOutcome.Expanded));
        return results;
    }
}
