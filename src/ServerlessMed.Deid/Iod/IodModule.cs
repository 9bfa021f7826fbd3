namespace ServerlessMed.Deid.Iod;

/// <summary>One module of PS3.3 with its macros expanded: the types of its top-level attributes and, keyed by the
/// enclosing sequence, of the attributes inside its sequences.</summary>
public sealed class IodModule(int number, Dictionary<uint, IodAttributeRule> topLevel, Dictionary<(uint Parent, uint Tag), IodAttributeRule> nested)
{
    public int Number { get; } = number;

    public IReadOnlyDictionary<uint, IodAttributeRule> TopLevel { get; } = topLevel;

    public IReadOnlyDictionary<(uint Parent, uint Tag), IodAttributeRule> Nested { get; } = nested;
}

/// <summary>How an IOD uses a module (PS3.3 Annex A): Mandatory, Conditional or User option.</summary>
public enum IodModuleUsage
{
    Mandatory,
    Conditional,
    UserOption,
}
