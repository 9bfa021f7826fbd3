using ServerlessMed.Dicom;

namespace ServerlessMed.Deid.Iod;

/// <summary>One IOD (PS3.3 Annex A) as the de-identifier needs it: which attribute types apply at the top level of an
/// instance (its mandatory modules and the optional ones the instance has) and inside each sequence.</summary>
public sealed class IodDefinition
{
    private readonly (IodModuleUsage Usage, IodModule Module)[] _modules;
    private readonly Dictionary<uint, List<int>> _modulesByTopLevelTag = [];
    private readonly Dictionary<(uint Parent, uint Tag), IodAttributeRule> _nested = [];
    private readonly Dictionary<uint, List<(uint Tag, IodAttributeRule Rule)>> _children = [];

    public IodDefinition(string name, IEnumerable<(IodModuleUsage Usage, IodModule Module)> modules, bool isGeneric = false)
    {
        Name = name;
        IsGeneric = isGeneric;
        _modules = [.. modules];
        for (var i = 0; i < _modules.Length; i++)
        {
            foreach (var tag in _modules[i].Module.TopLevel.Keys)
            {
                if (!_modulesByTopLevelTag.TryGetValue(tag, out var list))
                {
                    _modulesByTopLevelTag[tag] = list = [];
                }

                list.Add(i);
            }

            // Inside a sequence the module that holds it is present (the sequence is): one union serves all of them.
            foreach (var (key, rule) in _modules[i].Module.Nested)
            {
                _nested[key] = _nested.TryGetValue(key, out var other) ? IodAttributeRule.Stricter(other, rule) : rule;
            }
        }

        foreach (var ((parent, tag), rule) in _nested)
        {
            if (!_children.TryGetValue(parent, out var list))
            {
                _children[parent] = list = [];
            }

            list.Add((tag, rule));
        }

        foreach (var list in _children.Values)
        {
            list.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        }
    }

    public string Name { get; }

    /// <summary>Every module of every IOD, for a SOP class the tables lack (<see cref="IodTable.Generic"/>).</summary>
    public bool IsGeneric { get; }

    /// <summary>The rule for <paramref name="tag"/> inside an item of the sequence <paramref name="parent"/>.</summary>
    public IodAttributeRule? Nested(uint parent, uint tag) => _nested.GetValueOrDefault((parent, tag));

    /// <summary>What an item of the sequence <paramref name="parent"/> holds, in tag order.</summary>
    public IReadOnlyList<(uint Tag, IodAttributeRule Rule)> ChildrenOf(uint parent) =>
        _children.TryGetValue(parent, out var list) ? list : [];

    /// <summary>The top-level rules that apply to an instance: those of the mandatory modules, and of each conditional
    /// or user-option module that <paramref name="instance"/> has an attribute of (a module left with none of its
    /// attributes is absent, and nothing of it is required).</summary>
    public IReadOnlyDictionary<uint, IodAttributeRule> TopLevel(DicomDataset instance)
    {
        var present = new bool[_modules.Length];
        for (var i = 0; i < _modules.Length; i++)
        {
            present[i] = _modules[i].Usage == IodModuleUsage.Mandatory;
        }

        foreach (var item in instance)
        {
            if (_modulesByTopLevelTag.TryGetValue(item.Tag.Value, out var modules))
            {
                foreach (var m in modules)
                {
                    present[m] = true;
                }
            }
        }

        var rules = new Dictionary<uint, IodAttributeRule>();
        for (var i = 0; i < _modules.Length; i++)
        {
            if (!present[i])
            {
                continue;
            }

            foreach (var (tag, rule) in _modules[i].Module.TopLevel)
            {
                rules[tag] = rules.TryGetValue(tag, out var other) ? IodAttributeRule.Stricter(other, rule) : rule;
            }
        }

        return rules;
    }
}
