using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMed.Search.Query;

namespace ServerlessMed.Functions;

/// <summary>GET /api/similar?study=UID&amp;k=10[&amp;model=ID]: the nearest studies of a de-identified study, the same
/// JSON as <c>smed search --json</c>; a bad parameter is 400, an unknown model, study or an empty index 404.</summary>
public sealed class SimilarFunction(SimilarStudiesHttpQuery query)
{
    [Function("similar")]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "similar")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var answer = await query.HandleAsync(request.QueryString.Value ?? string.Empty, cancellationToken);
        return new ContentResult { StatusCode = answer.StatusCode, ContentType = answer.ContentType, Content = answer.Body };
    }
}
