using System.Collections;
using System.Globalization;

namespace ShapeSafe.NN;

/// <summary>
/// A list of modules registered as children named <c>"0"</c>, <c>"1"</c>, ... (<c>nn.ModuleList</c>), so their
/// parameters are <c>"linears.0.weight"</c> and so on. It has no <c>Forward</c>: the owning module loops over it.
/// <typeparamref name="T"/> lets that loop call the elements' own <c>Forward</c> without casts.
/// </summary>
/// <remarks>
/// Printed as PyTorch prints it, which compresses runs of identical entries:
/// <c>ModuleList(\n  (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)\n)</c>.
/// </remarks>
public class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    /// <summary>An empty list.</summary>
    public ModuleList()
    {
    }

    /// <summary>A list of <paramref name="modules"/>, in order.</summary>
    public ModuleList(IEnumerable<T> modules) => Extend(modules);

    /// <summary>The number of modules.</summary>
    public int Count => ChildSlots.Count;

    /// <summary>The module at <paramref name="index"/> (negative counts from the end). Setting replaces it.</summary>
    public T this[int index]
    {
        get => (T)ChildSlots.GetAt(Sequential.Position(index, Count)).Value!;
        set => RegisterModule(Sequential.Position(index, Count).ToString(CultureInfo.InvariantCulture), value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Appends <paramref name="module"/> (PyTorch's <c>append</c>); also what collection initializers call.</summary>
    public void Add(T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(Count.ToString(CultureInfo.InvariantCulture), module);
    }

    /// <summary>Appends each of <paramref name="modules"/>.</summary>
    public void Extend(IEnumerable<T> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules.ToList()) Add(module);
    }

    /// <summary>Inserts <paramref name="module"/> before position <paramref name="index"/>, renumbering the ones after it.</summary>
    public void Insert(int index, T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var modules = ChildSlots.Values.ToList();
        modules.Insert(Sequential.InsertPosition(index, modules.Count), module);
        Renumber(modules);
    }

    /// <summary>Removes the module at <paramref name="index"/> and renumbers the rest, as PyTorch's <c>del</c> does.</summary>
    public void RemoveAt(int index)
    {
        var modules = ChildSlots.Values.ToList();
        modules.RemoveAt(Sequential.Position(index, modules.Count));
        Renumber(modules);
    }

    /// <summary>The modules in order.</summary>
    public IEnumerator<T> GetEnumerator() => ChildSlots.Values.Select(m => (T)m!).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>PyTorch's <c>ModuleList.__repr__</c>: consecutive entries that print the same are shown once as <c>(i-j): n x ...</c>.</summary>
    public override string ToString()
    {
        var reprs = ChildSlots.Values.Select(m => m?.ToString() ?? "None").ToList();
        if (reprs.Count == 0) return GetName() + "()";
        var lines = new List<string>();
        int start = 0;
        for (int i = 1; i <= reprs.Count; i++)
        {
            if (i < reprs.Count && reprs[i] == reprs[start]) continue;
            int end = i - 1;
            lines.Add(Indent(start == end ? $"({start}): {reprs[start]}" : $"({start}-{end}): {end - start + 1} x {reprs[start]}", 2));
            start = i;
        }
        return Format(GetName(), lines, extraLines: 0);
    }

    /// <summary>
    /// Makes the list hold exactly <paramref name="modules"/>, in order (null entries included), writing nothing
    /// when it already does: <see cref="Module.AssignModules"/> calls it on every read of the owner's state.
    /// </summary>
    internal void SetAll(IReadOnlyList<Module?> modules)
    {
        if (modules.Count == ChildSlots.Count)
        {
            int i = 0;
            while (i < modules.Count && ReferenceEquals(modules[i], ChildSlots.GetAt(i).Value)) i++;
            if (i == modules.Count) return;
        }
        Renumber(modules);
    }

    void Renumber(IReadOnlyList<Module?> modules)
    {
        ChildSlots.Clear();
        for (int i = 0; i < modules.Count; i++)
            RegisterModule(i.ToString(CultureInfo.InvariantCulture), modules[i]);
    }
}

/// <summary>A <see cref="ModuleList{T}"/> of any modules (<c>nn.ModuleList</c>).</summary>
public class ModuleList : ModuleList<Module>
{
    /// <summary>An empty list.</summary>
    public ModuleList()
    {
    }

    /// <summary>A list of <paramref name="modules"/>, in order.</summary>
    public ModuleList(IEnumerable<Module> modules)
        : base(modules)
    {
    }
}
