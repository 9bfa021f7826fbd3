namespace ServerlessMed.Deid.Iod;

/// <summary>An attribute's type in a module (PS3.3 7.4): whether it must be present, and whether with a value.</summary>
public enum IodAttributeType
{
    /// <summary>Type 1: present with a value.</summary>
    Required,

    /// <summary>Type 1C: present with a value when its condition holds.</summary>
    ConditionallyRequired,

    /// <summary>Type 2: present, possibly empty.</summary>
    RequiredMayBeEmpty,

    /// <summary>Type 2C: present, possibly empty, when its condition holds.</summary>
    ConditionallyRequiredMayBeEmpty,

    /// <summary>Type 3: optional.</summary>
    Optional,
}

/// <summary>What the IOD says about one attribute where it occurs (top level, or inside one sequence).</summary>
/// <param name="DependsOn">The attribute whose presence the condition of a 1C/2C attribute names (0 when none): when
/// that one is removed, this one goes with it.</param>
/// <param name="EnumeratedValue">The first Enumerated Value, when the standard lists them: a CS dummy must be one.</param>
public sealed record IodAttributeRule(IodAttributeType Type, uint DependsOn, string? EnumeratedValue)
{
    /// <summary>Type 1 or 1C: a dummy value keeps the instance valid where the value was removed.</summary>
    public bool NeedsValue => Type is IodAttributeType.Required or IodAttributeType.ConditionallyRequired;

    /// <summary>Type 2 or 2C: an empty value keeps the instance valid where the attribute was removed.</summary>
    public bool NeedsPresence => Type is IodAttributeType.RequiredMayBeEmpty or IodAttributeType.ConditionallyRequiredMayBeEmpty;

    /// <summary>The stricter of two rules for one attribute (a tag that two modules of an IOD define).</summary>
    public static IodAttributeRule Stricter(IodAttributeRule a, IodAttributeRule b) => b.Type < a.Type ? b : a;
}
