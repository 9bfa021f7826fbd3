using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Pipeline.Messaging;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>request.json: everything needed to reproduce or audit a generated set (no PHI: de-identified UIDs, the
/// prompts the policy built from de-identified attributes, model identity, parameters, timings).</summary>
public sealed record GenerationProvenance(
    int Version,
    string RequestId,
    string StudyInstanceUid,
    string SourceSopInstanceUid,
    string ModelId,
    string ModelHash,
    string Scheduler,
    int Steps,
    float GuidanceScale,
    int Seed,
    int Count,
    IReadOnlyList<PromptPart> Prompts,
    string NegativePrompt,
    float? Strength,
    string ExecutionProvider,
    IReadOnlyList<string> SopInstanceUids,
    GenerationProvenance.TimingsMs Timings)
{
    public static GenerationProvenance Create(GenerationMessage message, GenerationRequest request, DiffusionPipeline pipeline, GenerationTimings t, IReadOnlyList<string> uids) => new(
        1,
        message.RequestId,
        message.StudyUid,
        message.SopUid,
        pipeline.Model.Id,
        pipeline.Model.Hash,
        pipeline.Model.CreateScheduler(request.Scheduler).Name,
        request.Steps,
        request.GuidanceScale,
        request.Seed,
        request.Count,
        [.. request.Prompts.Select(p => new PromptPart(p.Text, p.Weight))],
        request.NegativePrompt,
        request.InitImage is null ? null : request.Strength,
        pipeline.Model.Provider,
        uids,
        new TimingsMs(t.Total.TotalMilliseconds, t.TextEncoder.TotalMilliseconds, t.Unet.TotalMilliseconds, t.VaeEncoder.TotalMilliseconds, t.VaeDecoder.TotalMilliseconds, t.UnetCalls));

    public sealed record TimingsMs(double Total, double TextEncoder, double Unet, double VaeEncoder, double VaeDecoder, int UnetCalls);
}
