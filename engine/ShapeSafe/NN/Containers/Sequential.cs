using System.Collections;
using System.Globalization;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.NN;

/// <summary>
/// Modules run one after another (<c>nn.Sequential</c>): <see cref="Forward"/> feeds each module's output to the
/// next. Children are named <c>"0"</c>, <c>"1"</c>, ... (or by the given names), so parameters are
/// <c>"0.weight"</c>, <c>"0.bias"</c>, ... Every module that <see cref="Forward"/> reaches must implement
/// <see cref="ITensorModule"/>. The same module may appear twice; it then runs twice.
/// </summary>
public class Sequential : Module, ITensorModule, IReadOnlyList<Module>
{
    /// <summary>Chains <paramref name="modules"/>, named by position.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules) Append(module);
    }

    /// <summary>Chains the modules under the given names (PyTorch's <c>Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(IEnumerable<KeyValuePair<string, Module>> namedModules)
    {
        ArgumentNullException.ThrowIfNull(namedModules);
        foreach (var (name, module) in namedModules)
            RegisterModule(name, module ?? throw new ArgumentNullException(nameof(namedModules), $"Sequential: module '{name}' is null"));
    }

    /// <summary>The number of modules.</summary>
    public int Count => ChildSlots.Count;

    /// <summary>The module at <paramref name="index"/> (negative counts from the end). Setting replaces it, keeping its name.</summary>
    public Module this[int index]
    {
        get => ChildSlots.GetAt(Position(index, Count)).Value!;
        set => RegisterModule(ChildSlots.GetAt(Position(index, Count)).Key, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>A new <see cref="Sequential"/> of the same module objects in <paramref name="range"/>, keeping their names (as PyTorch's slicing does).</summary>
    public Sequential this[Range range]
    {
        get
        {
            var (start, length) = range.GetOffsetAndLength(Count);
            return new Sequential(ChildSlots.Skip(start).Take(length).Select(kv => new KeyValuePair<string, Module>(kv.Key, kv.Value!)));
        }
    }

    /// <summary>Adds <paramref name="module"/> at the end, named by its position.</summary>
    /// <returns>This container.</returns>
    public Sequential Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(Count.ToString(CultureInfo.InvariantCulture), module);
        return this;
    }

    /// <summary>Adds each of <paramref name="modules"/> at the end.</summary>
    /// <returns>This container.</returns>
    public Sequential Extend(IEnumerable<Module> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules.ToList()) Append(module);
        return this;
    }

    /// <summary>Inserts <paramref name="module"/> before position <paramref name="index"/> (0..Count; negative counts from the end), renumbering the ones after it.</summary>
    /// <returns>This container.</returns>
    public Sequential Insert(int index, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var modules = ChildSlots.Values.ToList();
        modules.Insert(InsertPosition(index, modules.Count), module);
        Renumber(modules);
        return this;
    }

    /// <summary>Removes the module at <paramref name="index"/> and renumbers the rest (PyTorch's <c>del seq[i]</c>).</summary>
    public void RemoveAt(int index)
    {
        var modules = ChildSlots.Values.ToList();
        modules.RemoveAt(Position(index, modules.Count));
        Renumber(modules);
    }

    /// <summary>Runs every module in order on <paramref name="input"/>, feeding each output to the next.</summary>
    /// <exception cref="InvalidOperationException">A module does not implement <see cref="ITensorModule"/>.</exception>
    public Tensor Forward(Tensor input)
    {
        var slots = ChildSlots;
        for (int i = 0; i < slots.Count; i++)
        {
            var (name, module) = slots.GetAt(i);
            if (module is not ITensorModule step)
                throw new InvalidOperationException($"Sequential.Forward: module ({name}) {module?.GetType().Name ?? "null"} has no Forward(Tensor) -> Tensor; only modules implementing ITensorModule can be chained.");
            // Linear or Conv2d followed by ReLU (and Conv2d, ReLU, MaxPool2d) runs as one op: the ReLU (and pool) is
            // applied in the layer's epilogue and the intermediates (which nothing outside can see) are never stored.
            // Linear followed by exact GELU runs as one op too (its epilogue keeps the pre-activation only when the
            // backward needs it). Exact types only: a subclass may override Forward.
            var next = i + 1 < slots.Count ? slots.GetAt(i + 1).Value : null;
            if (next?.GetType() == typeof(GELU) && ((GELU)next).Approximate == "none" && module.GetType() == typeof(Linear))
            {
                var linear = (Linear)module;
                input = F.LinearCore(input, linear.Weight, linear.Bias, GemmActivation.Gelu);
                i++;
                continue;
            }
            if (next?.GetType() == typeof(ReLU))
            {
                if (module.GetType() == typeof(Linear))
                {
                    var linear = (Linear)module;
                    input = F.LinearCore(input, linear.Weight, linear.Bias, GemmActivation.Relu);
                    i++;
                    continue;
                }
                if (module.GetType() == typeof(Conv2d))
                {
                    var conv = (Conv2d)module;
                    // Conv2d, ReLU, MaxPool2d: the convolution's output is pooled as it is made and never stored.
                    if (i + 2 < slots.Count && slots.GetAt(i + 2).Value?.GetType() == typeof(MaxPool2d))
                    {
                        var pool = (MaxPool2d)slots.GetAt(i + 2).Value!;
                        input = Tensor.Conv2dReluMaxPool(input, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups,
                            pool.KernelSize, pool.Stride, pool.Padding, pool.Dilation);
                        i += 2;
                        continue;
                    }
                    input = Tensor.Conv2dCore(input, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups, relu: true);
                    i++;
                    continue;
                }
            }
            input = step.Forward(input);
        }
        return input;
    }

    /// <summary>The modules in order (a module added twice is listed twice).</summary>
    public IEnumerator<Module> GetEnumerator() => ChildSlots.Values.Select(m => m!).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void Renumber(List<Module?> modules)
    {
        ChildSlots.Clear();
        for (int i = 0; i < modules.Count; i++)
            RegisterModule(i.ToString(CultureInfo.InvariantCulture), modules[i]);
    }

    /// <summary>PyTorch's index check: -count &lt;= index &lt; count, negative counting from the end.</summary>
    internal static int Position(int index, int count)
    {
        if (index < -count || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} is out of range for a container of {count} modules");
        return index < 0 ? index + count : index;
    }

    /// <summary>An insertion point: -count &lt;= index &lt;= count.</summary>
    internal static int InsertPosition(int index, int count)
    {
        if (index < -count || index > count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index out of range: {index} (a container of {count} modules)");
        return index < 0 ? index + count : index;
    }
}
