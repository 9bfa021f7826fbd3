using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Functions;

/// <summary>GET /api/studies/{study}/status: how many de-identified instances and generated files a study has.</summary>
public sealed class StatusFunction(StudyStatusQuery query)
{
    [Function("status")]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "studies/{study}/status")] HttpRequest request,
        string study,
        CancellationToken cancellationToken)
    {
        _ = request;
        return await query.GetAsync(study, cancellationToken) is { } status
            ? new OkObjectResult(new { study = status.Study, instances = status.Instances, generatedFiles = status.GeneratedFiles })
            : new BadRequestObjectResult(new { error = "study must be a de-identified Study Instance UID (2.25....)" });
    }
}
