using ServerlessMed.Dicom;

namespace ServerlessMed.Deid.Iod;

/// <summary>One IOD (PS3.3 Annex A) as the de-identifier needs it: which attribute types apply at the top level of an
/// instance (its mandatory modules and the optional ones the instance has) and inside each sequence. Built once per
/// IOD, so that the per-instance questions (about the few attributes de-identification removed) are lookups.</summary>
public sealed class IodDefinition
{
    private readonly IodModuleUsage[] _usage;
    private readonly Dictionary<uint, (int Module, IodAttributeRule Rule)[]> _topLevelByTag = [];
    private readonly Dictionary<uint, int[]> _optionalModulesByTag;
    private readonly Dictionary<(uint Parent, uint Tag), IodAttributeRule> _nested = [];
    private readonly Dictionary<uint, (uint Tag, IodAttributeRule Rule)[]> _children;
    private readonly Dictionary<(uint Parent, uint Tag), uint[]> _dependents;

    public IodDefinition(string name, IEnumerable<(IodModuleUsage Usage, IodModule Module)> modules, bool isGeneric = false)
    {
        Name = name;
        IsGeneric = isGeneric;
        var list = modules.ToArray();
        _usage = [.. list.Select(m => m.Usage)];
        var byTag = new Dictionary<uint, List<(int, IodAttributeRule)>>();
        var dependents = new Dictionary<(uint, uint), HashSet<uint>>();
        void Depends(uint parent, uint tag, IodAttributeRule rule)
        {
            if (rule.DependsOn != 0)
            {
                if (!dependents.TryGetValue((parent, rule.DependsOn), out var set))
                {
                    dependents[(parent, rule.DependsOn)] = set = [];
                }

                set.Add(tag);
            }
        }

        for (var i = 0; i < list.Length; i++)
        {
            foreach (var (tag, rule) in list[i].Module.TopLevel)
            {
                if (!byTag.TryGetValue(tag, out var entries))
                {
                    byTag[tag] = entries = [];
                }

                entries.Add((i, rule));
                Depends(0, tag, rule);
            }

            // Inside a sequence the module that holds it is present (the sequence is): one union serves all of them.
            foreach (var (key, rule) in list[i].Module.Nested)
            {
                _nested[key] = _nested.TryGetValue(key, out var other) ? IodAttributeRule.Stricter(other, rule) : rule;
            }
        }

        foreach (var ((parent, tag), rule) in _nested)
        {
            Depends(parent, tag, rule);
        }

        foreach (var (tag, entries) in byTag)
        {
            _topLevelByTag[tag] = [.. entries];
        }

        _optionalModulesByTag = byTag
            .Select(p => (p.Key, Modules: p.Value.Select(e => e.Item1).Where(m => _usage[m] != IodModuleUsage.Mandatory).ToArray()))
            .Where(p => p.Modules.Length > 0)
            .ToDictionary(p => p.Key, p => p.Modules);
        _children = _nested.GroupBy(p => p.Key.Parent).ToDictionary(g => g.Key, g => g.Select(p => (p.Key.Tag, p.Value)).OrderBy(p => p.Tag).ToArray());
        _dependents = dependents.ToDictionary(p => p.Key, p => p.Value.Order().ToArray());
    }

    public string Name { get; }

    /// <summary>Every module of every IOD, for a SOP class the tables lack (<see cref="IodTable.Generic"/>).</summary>
    public bool IsGeneric { get; }

    /// <summary>The rule for <paramref name="tag"/> inside an item of the sequence <paramref name="parent"/>.</summary>
    public IodAttributeRule? Nested(uint parent, uint tag) => _nested.GetValueOrDefault((parent, tag));

    /// <summary>What an item of the sequence <paramref name="parent"/> holds, in tag order.</summary>
    public IReadOnlyList<(uint Tag, IodAttributeRule Rule)> ChildrenOf(uint parent) => _children.TryGetValue(parent, out var c) ? c : [];

    /// <summary>The attributes (at the top level when <paramref name="parent"/> is 0, else inside an item of that
    /// sequence) whose condition names <paramref name="tag"/>.</summary>
    public IReadOnlyList<uint> DependentsOf(uint parent, uint tag) => _dependents.TryGetValue((parent, tag), out var d) ? d : [];

    /// <summary>Which modules <paramref name="instance"/> has: the mandatory ones, and each conditional or user-option
    /// module it has an attribute of (a module left with none of its attributes is absent, and nothing of it is
    /// required).</summary>
    public bool[] PresentModules(DicomDataset instance)
    {
        var present = new bool[_usage.Length];
        for (var i = 0; i < present.Length; i++)
        {
            present[i] = _usage[i] == IodModuleUsage.Mandatory;
        }

        foreach (var item in instance)
        {
            if (_optionalModulesByTag.TryGetValue(item.Tag.Value, out var modules))
            {
                foreach (var m in modules)
                {
                    present[m] = true;
                }
            }
        }

        return present;
    }

    /// <summary>The strictest rule the present modules give <paramref name="tag"/> at the top level, or null.</summary>
    public IodAttributeRule? TopLevel(uint tag, bool[] present)
    {
        IodAttributeRule? rule = null;
        if (_topLevelByTag.TryGetValue(tag, out var modules))
        {
            foreach (var (m, r) in modules)
            {
                if (present[m])
                {
                    rule = rule is null ? r : IodAttributeRule.Stricter(rule, r);
                }
            }
        }

        return rule;
    }
}
