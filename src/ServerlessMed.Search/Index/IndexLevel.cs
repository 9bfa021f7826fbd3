namespace ServerlessMed.Search.Index;

/// <summary>What one vector in the index stands for.</summary>
public enum IndexLevel
{
    /// <summary>One instance: the mean of its frames' normalised embeddings.</summary>
    Instance,

    /// <summary>One series: the mean of its instances' normalised vectors.</summary>
    Series,

    /// <summary>One study: the mean of its instances' normalised vectors.</summary>
    Study,
}
