using System.Globalization;
using System.Net;
using System.Text;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Query;
using ServerlessMed.Search.Stage;

namespace ServerlessMed.Search.Report;

/// <summary>The demo report's similar-studies section: the index stage brought up to date, then for a few
/// de-identified studies their nearest neighbours, each shown by a thumbnail of its first de-identified instance and
/// its similarity, and a link to the exported dataset card. Returns the HTML to place in the page.</summary>
public static class SimilarStudiesReport
{
    public static async Task<string> WriteAsync(TenantStorage storage, string reportFolder, string? datasetCardHref, ILogger logger, int studies = 3, int neighbours = 4, CancellationToken cancellationToken = default)
    {
        var factory = new SimilarityIndexFactory(storage, new SimilaritySearchOptions());
        var runs = await new SearchIndexStage(factory, logger).RunAsync(cancellationToken).ConfigureAwait(false);
        var html = new StringBuilder();
        html.AppendLine("<h2>Similar studies</h2>");
        if (datasetCardHref is not null)
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<p>Training set: <a href=\"{WebUtility.HtmlEncode(datasetCardHref)}\">dataset card</a> (Parquet, one row per frame, partitioned by model).</p>");
        }

        var run = runs.FirstOrDefault(r => r.Studies > 1);
        if (run is null)
        {
            html.AppendLine("<p>Fewer than two studies have embeddings: nothing to compare.</p>");
            return html.ToString();
        }

        html.AppendLine(CultureInfo.InvariantCulture, $"<p>Model {WebUtility.HtmlEncode(run.Model)}: {run.Studies} studies, {run.Instances} instances in the index; cosine similarity of study vectors (mean of their instances' normalised embeddings).</p>");
        var thumbs = Path.Combine(reportFolder, "similar");
        if (Directory.Exists(thumbs))
        {
            Directory.Delete(thumbs, recursive: true);
        }

        Directory.CreateDirectory(thumbs);
        var checkpoint = await SearchIndexStage.ReadCheckpointAsync(storage, run.Model, cancellationToken).ConfigureAwait(false);
        var search = new SimilarStudySearch(factory);
        foreach (var study in checkpoint!.Held.Keys.Order(StringComparer.Ordinal).Take(studies))
        {
            var result = await search.ByStudyAsync(study, Math.Min(neighbours, (int)run.Studies - 1), run.Model, cancellationToken).ConfigureAwait(false);
            html.AppendLine("<div class=\"row\">");
            html.AppendLine(await FigureAsync(storage, checkpoint, study, "query study", thumbs, cancellationToken).ConfigureAwait(false));
            foreach (var n in result.Results)
            {
                var label = string.Create(CultureInfo.InvariantCulture, $"similarity {n.Similarity:0.000} · {n.Modality} {n.BodyPart}").TrimEnd();
                html.AppendLine(await FigureAsync(storage, checkpoint, n.Study, label, thumbs, cancellationToken).ConfigureAwait(false));
            }

            html.AppendLine(CultureInfo.InvariantCulture, $"<div><small>{WebUtility.HtmlEncode(study)}</small></div></div>");
        }

        return html.ToString();
    }

    private static async Task<string> FigureAsync(TenantStorage storage, IndexCheckpoint checkpoint, string study, string label, string folder, CancellationToken ct)
    {
        var name = StorageLayout.SafeName(study) + ".png";
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            var (series, sops) = checkpoint.Held[study].OrderBy(s => s.Key, StringComparer.Ordinal).First();
            var blob = storage.Container(storage.Options.Deid).GetBlobClient(StorageLayout.DeidInstance(study, series, sops.Order(StringComparer.Ordinal).First()));
            var bytes = (await blob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToArray();
            var file = DicomFile.Open(new MemoryStream(bytes, writable: false));
            var image = Renderer.Render(file.Dataset, FrameDecoder.Decode(file.Dataset, file.TransferSyntax, 0), 0);
            await File.WriteAllBytesAsync(path, PngWriter.Encode(image), ct).ConfigureAwait(false);
        }

        return $"<figure><img src=\"similar/{name}\" alt=\"{WebUtility.HtmlEncode(label)}\"><figcaption>{WebUtility.HtmlEncode(label)}</figcaption></figure>";
    }
}
