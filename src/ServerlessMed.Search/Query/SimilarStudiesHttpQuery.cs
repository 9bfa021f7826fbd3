using System.Globalization;
using System.Text.Json;

namespace ServerlessMed.Search.Query;

/// <summary>An HTTP answer: status, content type and body.</summary>
public sealed record HttpAnswer(int StatusCode, string ContentType, string Body);

/// <summary>GET /api/similar?study=UID&amp;k=10[&amp;model=ID] as a plain class: the Functions host's [Function] passes
/// the query string and writes back the status and JSON body. Success is the JSON of `smed search --json`; a bad
/// parameter is 400, an unknown model, empty index or unknown study is 404, each with
/// {"error": code, "message": one line}. Messages carry de-identified UIDs only.</summary>
public sealed class SimilarStudiesHttpQuery(SimilarStudySearch search)
{
    public const int DefaultK = 10;

    private const string Json = "application/json; charset=utf-8";

    /// <summary>Answers a query given as its parameters (first value of each; names are case-insensitive).</summary>
    public async Task<HttpAnswer> HandleAsync(IReadOnlyDictionary<string, string?> query, CancellationToken cancellationToken = default)
    {
        var q = new Dictionary<string, string?>(query, StringComparer.OrdinalIgnoreCase);
        try
        {
            var study = q.GetValueOrDefault("study")?.Trim();
            if (string.IsNullOrEmpty(study))
            {
                throw new SimilarStudiesException(SimilarStudiesError.BadRequest, "the query needs study=<de-identified Study Instance UID>");
            }

            if (study.Length > 64 || !study.All(c => char.IsAsciiDigit(c) || c == '.'))
            {
                throw new SimilarStudiesException(SimilarStudiesError.BadRequest, "study must be a UID: digits and dots, at most 64 characters");
            }

            var k = DefaultK;
            if (q.GetValueOrDefault("k") is { Length: > 0 } kText && !int.TryParse(kText, NumberStyles.None, CultureInfo.InvariantCulture, out k))
            {
                throw new SimilarStudiesException(SimilarStudiesError.BadRequest, $"k must be a whole number 1 to {SimilarStudySearch.MaxK}");
            }

            var result = await search.ByStudyAsync(study, k, q.GetValueOrDefault("model"), cancellationToken).ConfigureAwait(false);
            return new HttpAnswer(200, Json, result.ToJson());
        }
        catch (SimilarStudiesException e)
        {
            return new HttpAnswer(e.StatusCode, Json, JsonSerializer.Serialize(new SimilarStudiesErrorBody(e.Code, e.Message), SimilarStudiesResult.JsonOptions));
        }
    }

    /// <summary>The same from a raw query string ("?study=...&amp;k=10").</summary>
    public Task<HttpAnswer> HandleAsync(string queryString, CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in queryString.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            parameters.TryAdd(name, value);
        }

        return HandleAsync(parameters, cancellationToken);
    }
}
