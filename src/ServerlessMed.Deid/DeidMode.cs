namespace ServerlessMed.Deid;

/// <summary>How attributes that Table E.1-1 does not name are treated. Names are the JSON policy's names.</summary>
public enum DeidMode
{
    /// <summary>The Basic Profile with the policy's options: attributes outside the table stay unless they are free
    /// text (or unknown, or private), which goes unless it is on the known-safe list (default).</summary>
    BasicProfile,

    /// <summary>A keep-list: only what is known to be safe survives (the table's kept and cleaned attributes under the
    /// chosen options, structural values, the known-safe list, the policy's keep list); every other text, date, time,
    /// person name, private or unknown attribute goes.</summary>
    AllowList,
}
