using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ShapeSafe.NN;

/// <summary>
/// Modules by name, in insertion order (<c>nn.ModuleDict</c>); each is a child under its key, so parameters are
/// <c>"activations.relu.weight"</c> and so on. Keys follow the registration rules (not empty, no ".").
/// </summary>
public class ModuleDict<T> : Module, IReadOnlyDictionary<string, T> where T : Module
{
    /// <summary>An empty dictionary.</summary>
    public ModuleDict()
    {
    }

    /// <summary>A dictionary of <paramref name="modules"/>, in their order.</summary>
    public ModuleDict(IEnumerable<KeyValuePair<string, T>> modules) => Update(modules);

    /// <summary>The number of modules.</summary>
    public int Count => ChildSlots.Count;

    /// <summary>The module under <paramref name="key"/>. Setting adds it, or replaces the one there (keeping its position).</summary>
    /// <exception cref="KeyNotFoundException">No module has that key.</exception>
    public T this[string key]
    {
        get => TryGetValue(key, out var module) ? module : throw new KeyNotFoundException($"{GetName()} has no module '{key}'");
        set => RegisterModule(key, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The keys in order.</summary>
    public IEnumerable<string> Keys => ChildSlots.Keys;

    /// <summary>The modules in order.</summary>
    public IEnumerable<T> Values => ChildSlots.Values.Select(m => (T)m!);

    /// <summary>Adds <paramref name="module"/> under a new <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is already present (use the indexer to replace).</exception>
    public void Add(string key, T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (ChildSlots.ContainsKey(key))
            throw new ArgumentException($"{GetName()} already has a module '{key}'", nameof(key));
        RegisterModule(key, module);
    }

    /// <summary>Adds or replaces each entry of <paramref name="modules"/>, in order (PyTorch's <c>update</c>).</summary>
    public void Update(IEnumerable<KeyValuePair<string, T>> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (key, module) in modules.ToList()) this[key] = module;
    }

    /// <summary>Removes the module under <paramref name="key"/> (PyTorch's <c>pop</c> / <c>del</c>).</summary>
    /// <returns>Whether there was one.</returns>
    public bool Remove(string key) => ChildSlots.Remove(key);

    /// <summary>Removes every module.</summary>
    public void Clear() => ChildSlots.Clear();

    /// <summary>Whether a module is registered under <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => ChildSlots.ContainsKey(key);

    /// <summary>The module under <paramref name="key"/>, if any.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value)
    {
        if (ChildSlots.TryGetValue(key, out var module) && module is T typed)
        {
            value = typed;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>The entries in order.</summary>
    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() =>
        ChildSlots.Select(kv => new KeyValuePair<string, T>(kv.Key, (T)kv.Value!)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A <see cref="ModuleDict{T}"/> of any modules (<c>nn.ModuleDict</c>).</summary>
public class ModuleDict : ModuleDict<Module>
{
    /// <summary>An empty dictionary.</summary>
    public ModuleDict()
    {
    }

    /// <summary>A dictionary of <paramref name="modules"/>, in their order.</summary>
    public ModuleDict(IEnumerable<KeyValuePair<string, Module>> modules)
        : base(modules)
    {
    }
}
