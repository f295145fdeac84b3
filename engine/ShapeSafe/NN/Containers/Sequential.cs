using System.Collections;
using System.Globalization;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Shapes.Graph;

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
    /// <remarks>
    /// Runs of modules that <see cref="FusionRules"/> fuses run as one op (Linear or Conv2d followed by ReLU, Linear
    /// followed by exact GELU, Conv2d, ReLU, MaxPool2d): the activation (and pool) is applied in the layer's epilogue
    /// and the intermediates, which nothing outside can see, are never stored. Under autocast only the Conv2d fusions
    /// apply (they run the BFloat16 convolution kernels and give the unfused layers' values and gradients). The compiled graphs of
    /// <c>[Module]</c> classes apply the same rules. Exact types only: a subclass may override <c>Forward</c>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A module does not implement <see cref="ITensorModule"/>.</exception>
    public Tensor Forward(Tensor input)
    {
        var slots = ChildSlots;
        FusibleOp At(int i) => i < slots.Count ? FusibleKind(slots.GetAt(i).Value) : FusibleOp.Other;
        for (int i = 0; i < slots.Count; i++)
        {
            var (name, module) = slots.GetAt(i);
            if (module is not ITensorModule step)
                throw new InvalidOperationException($"Sequential.Forward: module ({name}) {module?.GetType().Name ?? "null"} has no Forward(Tensor) -> Tensor; only modules implementing ITensorModule can be chained.");
            var (fusion, length) = FusionRules.Match(At(i), At(i + 1), At(i + 2));
            // Under autocast the convolution fusions run the BFloat16 kernels (with the unfused layers' results); the
            // Linear fusions' kernels are float32 ones, so those layers cast on their own.
            if (Autograd.IsAutocastEnabled && fusion is Fusion.LinearRelu or Fusion.LinearGelu)
                (fusion, length) = (Fusion.None, 1);
            input = fusion switch
            {
                Fusion.LinearRelu => LinearFused((Linear)module, input, GemmActivation.Relu),
                Fusion.LinearGelu => LinearFused((Linear)module, input, GemmActivation.Gelu),
                Fusion.Conv2dRelu => Conv2dRelu((Conv2d)module, input),
                Fusion.Conv2dReluMaxPool => Conv2dReluMaxPool((Conv2d)module, (MaxPool2d)slots.GetAt(i + 2).Value!, input),
                _ => step.Forward(input),
            };
            i += length - 1;
        }
        return input;
    }

    static Tensor LinearFused(Linear linear, Tensor input, GemmActivation activation) =>
        F.LinearCore(input, linear.Weight, linear.Bias, activation);

    static Tensor Conv2dRelu(Conv2d conv, Tensor input) =>
        Tensor.Conv2dCore(input, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups, relu: true);

    static Tensor Conv2dReluMaxPool(Conv2d conv, MaxPool2d pool, Tensor input) =>
        Tensor.Conv2dReluMaxPool(input, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups,
            pool.KernelSize, pool.Stride, pool.Padding, pool.Dilation);

    /// <summary>What the fusion rules see of <paramref name="module"/>: its op for the exact engine types they know, else <see cref="FusibleOp.Other"/>.</summary>
    static FusibleOp FusibleKind(Module? module) => module?.GetType() switch
    {
        { } t when t == typeof(Linear) => FusibleOp.Linear,
        { } t when t == typeof(Conv2d) => FusibleOp.Conv2d,
        { } t when t == typeof(ReLU) => FusibleOp.Relu,
        { } t when t == typeof(GELU) && ((GELU)module).Approximate == "none" => FusibleOp.Gelu,
        { } t when t == typeof(MaxPool2d) => FusibleOp.MaxPool2d,
        _ => FusibleOp.Other,
    };

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
