namespace ServerlessMed.Workflow.Local;

/// <summary>The de-identified instance could not be written (disk full, no permission on OUT). Kept apart from an
/// unreadable input so the reason says which side failed; the message names the failure's kind, never the path (which
/// holds de-identified UIDs only, but the runtime's message may also carry the input's).</summary>
public sealed class DeidOutputException(Exception inner)
    : Exception($"the de-identified output cannot be written ({inner.GetType().Name})", inner);
