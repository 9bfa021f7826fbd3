using Microsoft.Win32.SafeHandles;

namespace ServerlessMed.Workflow;

/// <summary>One opened input: a local file (an input on disk, a zip entry expanded to scratch, a downloaded upload),
/// optionally through a handle already open on it, with its label (names may hold PHI, so inputs are named by
/// position or upload id only) and its place in input order (which of two inputs with one output name keeps it in a
/// local run).</summary>
public sealed record WorkflowInput(string Label, long Position, string Path, SafeFileHandle? Handle = null)
{
    /// <summary>Entry <paramref name="index"/> (0-based) of this input, a zip, expanded to <paramref name="path"/>.</summary>
    public WorkflowInput Entry(int index, string path) => new($"{Label}/{index + 1}", Position + index + 1, path);
}
