using System.Globalization;
using System.Net;
using System.Text;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Cli.Commands;

/// <summary>out/demo/index.html, from the same <see cref="DemoSummary"/> the console prints: the counts (with their
/// definition), which models made the images, each request's de-identified source preview next to its generated
/// images with the prompt and settings that made them, the quarantined inputs by upload number and SHA-256, and the
/// stage times as overlapping busy time beside the wall clock. No upload names (they may hold PHI).</summary>
internal static class DemoReport
{
    public static async Task<string> WriteAsync(TenantStorage storage, StorageInventory inventory, DemoSummary summary, string folder, CancellationToken ct, string? extraHtml = null)
    {
        Directory.CreateDirectory(folder);
        var images = Path.Combine(folder, "images");
        if (Directory.Exists(images))
        {
            Directory.Delete(images, recursive: true);
        }

        Directory.CreateDirectory(images);
        var html = new StringBuilder();
        html.AppendLine("<!doctype html><html><head><meta charset=\"utf-8\"><title>ServerlessMed demo</title>");
        html.AppendLine("<style>body{font-family:sans-serif;background:#111;color:#eee}figure{display:inline-block;margin:6px;text-align:center}img{width:192px;height:192px;object-fit:contain;background:#000;image-rendering:pixelated}.row{border-bottom:1px solid #333;padding:8px}.q{color:#f88}.note{background:#332;padding:6px;border-left:4px solid #cc4}td,th{padding:2px 10px;text-align:left}td.n{text-align:right}code{font-size:90%}dl.settings{display:grid;grid-template-columns:max-content auto;gap:0 12px;margin:4px 0}dl.settings dt{color:#aaa}dl.settings dd{margin:0}</style></head><body>");
        html.AppendLine("<h1>ServerlessMed demo</h1>");
        AppendModels(html, summary);
        AppendCounts(html, summary);
        AppendTimes(html, summary);

        var container = storage.Container(storage.Options.Generated);
        var i = 0;
        html.AppendLine("<h2>Generated images</h2>");
        foreach (var set in summary.Generated)
        {
            html.AppendLine("<div class=\"row\">");
            foreach (var file in inventory.GeneratedFiles.Where(f => f.StartsWith(set.Request + "/", StringComparison.Ordinal) && f.EndsWith(".png", StringComparison.Ordinal)).OrderBy(f => f.EndsWith("source.png", StringComparison.Ordinal) ? 0 : 1).ThenBy(f => f, StringComparer.Ordinal))
            {
                var local = $"{i++:D4}-{Path.GetFileName(file)}";
                await container.GetBlobClient(file).DownloadToAsync(Path.Combine(images, local), ct);
                var label = file.EndsWith("source.png", StringComparison.Ordinal) ? "de-identified source" : "generated " + Path.GetFileNameWithoutExtension(file);
                html.AppendLine(CultureInfo.InvariantCulture, $"<figure><img src=\"images/{local}\" alt=\"{label}\"><figcaption>{label}</figcaption></figure>");
            }

            AppendSettings(html, set);
            html.AppendLine(CultureInfo.InvariantCulture, $"<div><small>{E(set.Request)}</small></div></div>");
        }

        if (summary.QuarantineEntries.Count > 0)
        {
            html.AppendLine("<h2>Quarantined</h2>");
            html.AppendLine("<p>Each entry names the upload by its number in the demo's upload order and the SHA-256 of its bytes (compare with <code>sha256sum FILE</code>); upload names are not shown, as they may hold PHI.</p><ul>");
            foreach (var q in summary.QuarantineEntries)
            {
                var which = q.UploadNumbers.Count > 0 ? "upload " + string.Join(", ", q.UploadNumbers.Select(n => "#" + n.ToString(CultureInfo.InvariantCulture))) : "not an uploaded file as is (a zip entry)";
                html.AppendLine(CultureInfo.InvariantCulture, $"<li class=\"q\">{which} · sha256 <code>{E(q.Sha256 ?? "unknown")}</code> · {E(q.Stage)} / {E(q.Code)}: {E(q.Message)} <small>(quarantine id {E(q.Id)})</small></li>");
            }

            html.AppendLine("</ul>");
        }

        html.AppendLine(extraHtml);
        html.AppendLine("</body></html>");
        var path = Path.Combine(folder, "index.html");
        await File.WriteAllTextAsync(path, html.ToString(), ct);
        return path;
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string N(double v, string format = "0.##") => v.ToString(format, CultureInfo.InvariantCulture);

    private static void AppendModels(StringBuilder html, DemoSummary s)
    {
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"{(s.TestModels ? "note" : "models")}\">Models: encoder {E(s.EncoderModel)}, diffusion {E(s.DiffusionModel)}.");
        if (s.TestModels)
        {
            html.Append(" These are the built-in test models (tiny, deterministic, made by scripts/make-test-models.py): their 64×64 images are test output that checks the pipeline end to end, not what a real model would generate.");
        }

        html.AppendLine("</p>");
    }

    private static void AppendCounts(StringBuilder html, DemoSummary s)
    {
        html.AppendLine("<h2>Counts</h2><table class=\"counts\">");
        foreach (var c in s.Counts)
        {
            var indent = c.Depth > 0 ? "&nbsp;&nbsp;&nbsp;&nbsp;" : string.Empty;
            html.AppendLine(CultureInfo.InvariantCulture, $"<tr><td>{indent}{E(c.Label)}</td><td class=\"n\" data-count=\"{E(c.Key)}\">{c.Value}</td></tr>");
        }

        html.AppendLine("</table>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p><small>{E(s.Definition)}</small></p>");
    }

    private static void AppendTimes(StringBuilder html, DemoSummary s)
    {
        html.AppendLine("<h2>Time</h2><table class=\"times\">");
        html.AppendLine(CultureInfo.InvariantCulture, $"<tr><th>wall clock</th><th>seconds</th></tr><tr><td>upload</td><td class=\"n\">{N(s.UploadWall.TotalSeconds, "0.00")}</td></tr><tr><td>processing</td><td class=\"n\">{N(s.ProcessingWall.TotalSeconds, "0.00")}</td></tr><tr><td>total</td><td class=\"n\">{N(s.TotalWall.TotalSeconds, "0.00")}</td></tr>");
        html.AppendLine("<tr><th>busy time, overlapping</th><th>seconds</th></tr>");
        foreach (var (stage, busy) in s.BusyTimes)
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<tr><td>{E(stage)}</td><td class=\"n\">{N(busy.TotalSeconds, "0.00")}</td></tr>");
        }

        html.AppendLine("</table><p><small>Busy time is each stage's time summed over the instances it handled; instances are handled concurrently and the stages of different instances run at the same time, so busy times overlap each other and can add up to more than the wall clock. They are not parts of the total.</small></p>");
    }

    private static void AppendSettings(StringBuilder html, DemoGeneratedSet set)
    {
        if (set.Provenance is not { } p)
        {
            html.AppendLine("<p><small>no provenance (request.json) for this set</small></p>");
            return;
        }

        var prompt = string.Join(" + ", p.Prompts.Select(x => x.Weight == 1f ? $"“{x.Text}”" : $"“{x.Text}” ×{N(x.Weight)}"));
        html.AppendLine("<dl class=\"settings\">");
        void Item(string name, string value) => html.AppendLine(CultureInfo.InvariantCulture, $"<dt>{name}</dt><dd>{E(value)}</dd>");
        Item("prompt", prompt);
        Item("negative prompt", p.NegativePrompt.Length == 0 ? "(none)" : $"“{p.NegativePrompt}”");
        Item("scheduler", p.Scheduler);
        Item("steps", p.Steps.ToString(CultureInfo.InvariantCulture));
        Item("guidance", N(p.GuidanceScale));
        Item("seed", p.Seed.ToString(CultureInfo.InvariantCulture));
        if (p.Strength is { } strength)
        {
            Item("strength", N(strength));
        }

        Item("model", $"{p.ModelId} (sha256 {p.ModelHash[..Math.Min(12, p.ModelHash.Length)]}…), {p.ExecutionProvider}");
        html.AppendLine("</dl>");
    }
}
