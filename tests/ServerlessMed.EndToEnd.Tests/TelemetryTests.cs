using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Pipeline.Telemetry;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>Everything an exporter would send (spans, metrics) and every log line of an end-to-end run, searched
/// for the original names, IDs and UIDs; and one trace from upload announcement through ingest to generation.</summary>
public sealed class TelemetryTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logs_and_telemetry_of_a_run_hold_no_PHI_and_one_trace_spans_upload_to_images()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(PipelineTelemetry.Name).AddInMemoryExporter(spans).Build();
        using var meter = Sdk.CreateMeterProviderBuilder().AddMeter(PipelineTelemetry.Name).AddInMemoryExporter(metrics).Build();
        var logger = new CapturingLogger();
        var options = new TenantStorageOptions { ConnectionString = azurite.ConnectionString };
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), EncoderFolder = TestModels.Encoder, DiffusionFolder = TestModels.Diffusion }, logger);
        await host.Storage.EnsureCreatedAsync(Ct);

        var phi = new List<string>();
        foreach (var rel in new[] { "pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom/chrH31.dcm" })
        {
            var path = Corpus.Get(rel).FullPath;
            var ds = DicomFile.Open(path).Dataset;
            foreach (var tag in new[] { DicomTag.StudyInstanceUID, DicomTag.SeriesInstanceUID, DicomTag.SOPInstanceUID, DicomTag.PatientID, DicomTag.AccessionNumber })
            {
                phi.Add(ds.GetSingleValueOrDefault(tag, string.Empty));
            }

            phi.AddRange(DicomPersonName.Parse(ds.GetSingleValueOrDefault(DicomTag.PatientName, string.Empty)).AllComponents());
            var name = $"in/{ds.GetSingleValueOrDefault(DicomTag.PatientID, "x")}-{Path.GetFileNameWithoutExtension(rel)}.dcm";
            phi.Add(name);
            await host.Storage.Container(options.Uploads).GetBlobClient(name).UploadAsync(path, Ct);
        }

        await host.Storage.Container(options.Uploads).GetBlobClient("in/Roe^Richard.txt").UploadAsync(BinaryData.FromString("not dicom"), Ct);
        phi.Add("Roe^Richard");
        await host.RunUntilIdleAsync(runGeneration: true, cancellationToken: Ct);
        tracer.ForceFlush();
        meter.ForceFlush();

        var exported = string.Join('\n', spans.SelectMany(s => new[] { s.DisplayName, s.StatusDescription ?? string.Empty }
                .Concat(s.Tags.Select(t => $"{t.Key}={t.Value}"))
                .Concat(s.Events.Select(e => e.Name + string.Join(',', e.Tags.Select(t => $"{t.Key}={t.Value}"))))))
            + '\n' + string.Join('\n', metrics.Select(m => m.Name + m.Description))
            + '\n' + string.Join('\n', metrics.SelectMany(EnumeratePoints));

        Assert.True(spans.Count > 10, $"{spans.Count} spans");
        Assert.Contains(metrics, m => m.Name == "smed.instances.deidentified");
        Assert.Contains(metrics, m => m.Name == "smed.stage.duration");
        foreach (var value in phi.Where(v => v.Length >= 3).Distinct())
        {
            Assert.DoesNotContain(value, exported, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(value, logger.AllText, StringComparison.OrdinalIgnoreCase);
        }

        // W3C context carried in the messages: some trace holds the announcement, the ingest and the generation.
        var traces = spans.GroupBy(s => s.TraceId).Select(g => g.Select(s => s.DisplayName).ToHashSet()).ToList();
        Assert.Contains(traces, t => t.Contains("upload announced") && t.Contains("process ingest") && t.Contains("process generation") && t.Contains("smed.generate"));
    }

    private static IEnumerable<string> EnumeratePoints(Metric metric)
    {
        var result = new List<string>();
        foreach (ref readonly var p in metric.GetMetricPoints())
        {
            foreach (var tag in p.Tags)
            {
                result.Add($"{metric.Name} {tag.Key}={tag.Value}");
            }
        }

        return result;
    }
}
