using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using ShapeSafe.Serialization;

namespace ShapeSafe.NN;

/// <summary>
/// The base of every neural-network module (<c>nn.Module</c>): it holds named parameters, buffers and child
/// modules in registration order, walks them with PyTorch's iterators (same names, same order, same
/// de-duplication), switches train/eval mode, and saves and loads state dicts.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Module"/> declares no <c>Forward</c>: each module defines its own <c>Forward(...)</c> with its own
/// inputs (the source generator and the analyzers find it by name). Modules that map one tensor to one tensor
/// implement <see cref="ITensorModule"/>, which is what <see cref="Sequential"/> chains.
/// </para>
/// <para>
/// State is registered in one of two ways. A <c>[Module] partial class</c> declares its layers, parameters and
/// <c>[Buffer]</c> tensors as fields or properties, and the source generator writes <see cref="RegisterMembers"/>,
/// which this class runs before every read of its state (iterators, state dicts, modes, printing), so the
/// registries always hold the members' current values, as PyTorch's <c>__setattr__</c> keeps them current on
/// every assignment. Other modules register explicitly (<see cref="RegisterParameter"/>,
/// <see cref="RegisterBuffer"/>, <see cref="RegisterModule{T}"/>). Names follow PyTorch's rules: not empty, no
/// <c>"."</c>, and not already used by another kind of member. Registering the same kind under the same name
/// again replaces the entry in place (its position stays), as assigning the attribute again does in PyTorch.
/// </para>
/// </remarks>
public abstract class Module
{
    readonly OrderedDictionary<string, Parameter?> _parameters = new(StringComparer.Ordinal);
    readonly OrderedDictionary<string, Tensor?> _buffers = new(StringComparer.Ordinal);
    readonly HashSet<string> _nonPersistentBuffers = new(StringComparer.Ordinal);
    readonly OrderedDictionary<string, Module?> _modules = new(StringComparer.Ordinal);
    // The ModuleLists that AssignModules keeps for list members, by name (created on first use).
    Dictionary<string, ModuleList>? _memberLists;

    /// <summary>The children by name, for the containers (which renumber and remove entries).</summary>
    private protected OrderedDictionary<string, Module?> ChildSlots => _modules;

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>; layers such as dropout read it.</summary>
    public bool Training { get; protected set; } = true;

    // ---------------------------------------------------------------- registration

    /// <summary>
    /// Adds <paramref name="module"/> as a child named <paramref name="name"/> (<c>add_module</c> /
    /// <c>register_module</c>). A null child keeps its place in the order but is skipped by the iterators.
    /// </summary>
    /// <returns><paramref name="module"/>, so a constructor can write <c>Fc = RegisterModule("fc", new Linear(4, 2));</c>.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains ".", or is already a parameter or buffer.</exception>
    public T RegisterModule<T>(string name, T module) where T : Module?
    {
        CheckName("module", name, _modules);
        if (!_modules.TryGetValue(name, out var current) || !ReferenceEquals(current, module))
            _modules[name] = module;
        return module;
    }

    /// <summary>
    /// Adds <paramref name="parameter"/> under <paramref name="name"/> (<c>register_parameter</c>). A null
    /// parameter keeps its place but is skipped by <see cref="Parameters"/> and <see cref="StateDict"/>.
    /// </summary>
    /// <returns><paramref name="parameter"/>.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains ".", or is already a buffer or child module.</exception>
    [return: NotNullIfNotNull(nameof(parameter))]
    public Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        CheckName("parameter", name, _parameters);
        if (!_parameters.TryGetValue(name, out var current) || !ReferenceEquals(current, parameter))
            _parameters[name] = parameter;
        return parameter;
    }

    /// <summary>
    /// Adds <paramref name="tensor"/> as a buffer under <paramref name="name"/> (<c>register_buffer</c>): state that
    /// is not learned, such as running statistics. Persistent buffers are part of <see cref="StateDict"/>;
    /// non-persistent ones are only listed by <see cref="Buffers"/> and <see cref="NamedBuffers"/>.
    /// </summary>
    /// <returns><paramref name="tensor"/>.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains ".", or is already a parameter or child module.</exception>
    [return: NotNullIfNotNull(nameof(tensor))]
    public Tensor? RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        CheckName("buffer", name, _buffers);
        if (!_buffers.TryGetValue(name, out var current) || !ReferenceEquals(current, tensor))
            _buffers[name] = tensor;
        if (persistent) _nonPersistentBuffers.Remove(name);
        else _nonPersistentBuffers.Add(name);
        return tensor;
    }

    // ---------------------------------------------------------------- generated registration

    /// <summary>
    /// Registers this module's state members from their current values. The source generator writes the override
    /// for a <c>[Module] partial class</c>: one <see cref="AssignModule"/>, <see cref="AssignModules"/>,
    /// <see cref="AssignParameter"/> or <see cref="AssignBuffer"/> call per member, in declaration order, after the
    /// base class's. <see cref="Module"/> runs it before every read of its registries, so a member assigned in an
    /// initializer, in the constructor or any time later is seen the way PyTorch's <c>__setattr__</c> sees it.
    /// </summary>
    /// <remarks>
    /// It runs on every read, so it must be cheap and must not read the module's state itself: the assignment
    /// methods only write when a member's value changed.
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    protected virtual void RegisterMembers()
    {
    }

    /// <summary>
    /// What assigning a module attribute does in PyTorch (<c>__setattr__</c>): a module is registered under
    /// <paramref name="name"/> (replacing the entry in place when there is one); null clears an existing entry and
    /// is ignored for a name that was never registered.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    protected void AssignModule(string name, Module? value)
    {
        if (value is not null || _modules.ContainsKey(name)) RegisterModule(name, value);
    }

    /// <summary>
    /// Registers a list of modules (an array or an <see cref="IReadOnlyList{T}"/> member) as one child
    /// <see cref="ModuleList"/> named <paramref name="name"/>, so its elements are <c>heads.0</c>,
    /// <c>heads.1</c>, ... as in a PyTorch model that holds an <c>nn.ModuleList</c> there. The list is kept and
    /// renumbered when the member's elements change; null is treated as <see cref="AssignModule"/> treats it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    protected void AssignModules(string name, IReadOnlyList<Module?>? value)
    {
        if (value is null)
        {
            AssignModule(name, null);
            return;
        }
        _memberLists ??= new Dictionary<string, ModuleList>(StringComparer.Ordinal);
        if (!_memberLists.TryGetValue(name, out var list) || !_modules.TryGetValue(name, out var registered) || !ReferenceEquals(registered, list))
        {
            list = new ModuleList();
            _memberLists[name] = list;
        }
        list.SetAll(value);
        RegisterModule(name, list);
    }

    /// <summary>What assigning a parameter attribute does in PyTorch: as <see cref="AssignModule"/>, for parameters.</summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    protected void AssignParameter(string name, Parameter? value)
    {
        if (value is not null || _parameters.ContainsKey(name)) RegisterParameter(name, value);
    }

    /// <summary>
    /// What assigning a buffer attribute does in PyTorch: as <see cref="AssignModule"/>, for buffers; a
    /// non-persistent buffer (<c>[Buffer(Persistent = false)]</c>) is left out of <see cref="StateDict"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    protected void AssignBuffer(string name, Tensor? value, bool persistent = true)
    {
        if (value is not null || _buffers.ContainsKey(name)) RegisterBuffer(name, value, persistent);
    }

    void CheckName<TValue>(string kind, string name, OrderedDictionary<string, TValue> own)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
            throw new ArgumentException($"{GetName()}: {kind} name can't be empty string \"\"", nameof(name));
        if (name.Contains('.'))
            throw new ArgumentException($"{GetName()}: {kind} name can't contain \".\", got: {name}", nameof(name));
        if (own.ContainsKey(name)) return;
        string? existing = _parameters.ContainsKey(name) ? "parameter"
            : _buffers.ContainsKey(name) ? "buffer"
            : _modules.ContainsKey(name) ? "child module"
            : null;
        if (existing is not null)
            throw new ArgumentException($"{GetName()}: attribute '{name}' already exists (as a {existing}); cannot register a {kind} with that name", nameof(name));
    }

    // ---------------------------------------------------------------- lookup

    /// <summary>The module at a dotted path such as <c>"net.l0"</c> (<c>get_submodule</c>); <c>""</c> is this module.</summary>
    /// <exception cref="ArgumentException">Some step of the path is not a child module.</exception>
    public Module GetSubmodule(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Length == 0) return this;
        Module current = this;
        foreach (var item in target.Split('.'))
        {
            current.RegisterMembers();
            if (!current._modules.TryGetValue(item, out var child) || child is null)
                throw new ArgumentException($"{current.GetName()} has no child module '{item}' (looking up '{target}')", nameof(target));
            current = child;
        }
        return current;
    }

    /// <summary>The parameter at a dotted path such as <c>"net.l0.weight"</c> (<c>get_parameter</c>).</summary>
    public Parameter GetParameter(string target)
    {
        var (owner, name) = SplitTarget(target);
        owner.RegisterMembers();
        return owner._parameters.TryGetValue(name, out var p) && p is not null
            ? p
            : throw new ArgumentException($"{owner.GetName()} has no parameter '{name}' (looking up '{target}')", nameof(target));
    }

    /// <summary>The buffer at a dotted path such as <c>"bn.running_mean"</c> (<c>get_buffer</c>).</summary>
    public Tensor GetBuffer(string target)
    {
        var (owner, name) = SplitTarget(target);
        owner.RegisterMembers();
        return owner._buffers.TryGetValue(name, out var b) && b is not null
            ? b
            : throw new ArgumentException($"{owner.GetName()} has no buffer '{name}' (looking up '{target}')", nameof(target));
    }

    (Module Owner, string Name) SplitTarget(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        int dot = target.LastIndexOf('.');
        return dot < 0 ? (this, target) : (GetSubmodule(target[..dot]), target[(dot + 1)..]);
    }

    // ---------------------------------------------------------------- iterators

    /// <summary>This module and every module below it, depth first in registration order, each once (<c>modules()</c>).</summary>
    public IEnumerable<Module> Modules()
    {
        foreach (var (_, module) in NamedModules())
            yield return module;
    }

    /// <summary>
    /// This module (named <c>""</c>, or <paramref name="prefix"/>) and every module below it with dotted names such
    /// as <c>"net.l0"</c>, depth first in registration order (<c>named_modules()</c>). A module reached twice is
    /// listed once, under its first name, unless <paramref name="removeDuplicate"/> is false.
    /// </summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "", bool removeDuplicate = true)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return NamedModules(new HashSet<Module>(ReferenceEqualityComparer.Instance), prefix, removeDuplicate);
    }

    IEnumerable<(string Name, Module Module)> NamedModules(HashSet<Module> memo, string prefix, bool removeDuplicate)
    {
        if (memo.Contains(this)) yield break;
        if (removeDuplicate) memo.Add(this);
        RegisterMembers();
        yield return (prefix, this);
        foreach (var (name, child) in _modules)
        {
            if (child is null) continue;
            foreach (var entry in child.NamedModules(memo, Join(prefix, name), removeDuplicate))
                yield return entry;
        }
    }

    /// <summary>The direct children in registration order, each once (<c>children()</c>).</summary>
    public IEnumerable<Module> Children()
    {
        foreach (var (_, child) in NamedChildren())
            yield return child;
    }

    /// <summary>The direct children with their names, each module once under its first name (<c>named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        RegisterMembers();
        var memo = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (name, child) in _modules)
        {
            if (child is not null && memo.Add(child))
                yield return (name, child);
        }
    }

    /// <summary>The parameters of this module and, when <paramref name="recurse"/>, of every module below it, each once (<c>parameters()</c>).</summary>
    public IEnumerable<Parameter> Parameters(bool recurse = true)
    {
        foreach (var (_, parameter) in NamedParameters(recurse: recurse))
            yield return parameter;
    }

    /// <summary>
    /// The parameters with dotted names such as <c>"linears.0.weight"</c> (<c>named_parameters()</c>): this module's
    /// own first, then each child's in registration order. A parameter reached twice (a shared module or a shared
    /// parameter) is listed once, under its first name, unless <paramref name="removeDuplicate"/> is false.
    /// </summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "", bool recurse = true, bool removeDuplicate = true) =>
        NamedMembers(m => m._parameters, prefix, recurse, removeDuplicate);

    /// <summary>The buffers (persistent or not) of this module and, when <paramref name="recurse"/>, every module below it, each once.</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true)
    {
        foreach (var (_, buffer) in NamedBuffers(recurse: recurse))
            yield return buffer;
    }

    /// <summary>The buffers with dotted names, in the same order and with the same de-duplication as <see cref="NamedParameters"/>.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true, bool removeDuplicate = true) =>
        NamedMembers(m => m._buffers, prefix, recurse, removeDuplicate);

    // PyTorch's _named_members: walk the modules (or just this one), and list each member not seen before.
    IEnumerable<(string, T)> NamedMembers<T>(Func<Module, OrderedDictionary<string, T?>> members, string prefix, bool recurse, bool removeDuplicate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var memo = new HashSet<T>(ReferenceEqualityComparer.Instance);
        var modules = recurse ? NamedModules(prefix, removeDuplicate) : [(prefix, this)];
        foreach (var (modulePrefix, module) in modules)
        {
            if (!recurse) module.RegisterMembers();
            foreach (var (name, member) in members(module))
            {
                if (member is null || memo.Contains(member)) continue;
                if (removeDuplicate) memo.Add(member);
                yield return (Join(modulePrefix, name), member);
            }
        }
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---------------------------------------------------------------- modes and gradients

    /// <summary>Sets training mode on this module and, recursively, on its children (<c>train()</c>).</summary>
    /// <returns>This module.</returns>
    public virtual Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var child in Children())
            child.Train(mode);
        return this;
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    /// <returns>This module.</returns>
    public Module Eval() => Train(false);

    // ---------------------------------------------------------------- dtype

    /// <summary>
    /// Converts every floating parameter and buffer of this module and its descendants to <paramref name="dtype"/>
    /// in place (<c>module.to(dtype)</c>): each <see cref="Parameter"/> and buffer object stays the same, with new
    /// storage in the new dtype, so fields, optimizers' references and tied weights (one parameter in two places,
    /// converted once) keep working. Gradients are converted too. Integer and Bool buffers are left alone, as
    /// PyTorch leaves them. Views of the old storage taken earlier no longer alias the parameter, as in PyTorch.
    /// </summary>
    /// <param name="dtype">A floating dtype: Float32, Float64 or BFloat16.</param>
    /// <returns>This module.</returns>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not floating.</exception>
    public Module To(DType dtype)
    {
        if (dtype is not (DType.Float32 or DType.Float64 or DType.BFloat16))
            throw new ArgumentException($"Module.To: nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}", nameof(dtype));
        using var noGrad = Autograd.NoGrad();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var module in Modules())
        {
            foreach (var tensor in module._parameters.Values.Concat(module._buffers.Values))
            {
                if (tensor is null || !seen.Add(tensor) || tensor.DType is not (DType.Float32 or DType.Float64 or DType.BFloat16)) continue;
                tensor.ChangeDTypeInPlace(dtype);
            }
        }
        return this;
    }

    /// <summary>Converts floating parameters and buffers to Float64 in place (<c>module.double()</c>): <c>To(DType.Float64)</c>.</summary>
    /// <returns>This module.</returns>
    public Module Double() => To(DType.Float64);

    /// <summary>Converts floating parameters and buffers to Float32 in place (<c>module.float()</c>): <c>To(DType.Float32)</c>.</summary>
    /// <returns>This module.</returns>
    public Module Float() => To(DType.Float32);

    /// <summary>
    /// Clears the gradients of every parameter (<c>zero_grad()</c>): sets them to null by default, as PyTorch does
    /// since 2.0; with <paramref name="setToNone"/> false, zeroes them in place instead.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (p.GradUnexposed is null) continue;
            if (setToNone)
            {
                p.Grad = null;
                continue;
            }
            var current = p.Grad!;
            var grad = current.IsLeaf ? current : current.Detach();
            if (grad.IsLeaf && grad.RequiresGrad) grad.RequiresGrad = false;
            using (Autograd.NoGrad()) Init.Zeros(grad);
            p.Grad = grad;
        }
    }

    /// <summary>
    /// Calls <paramref name="fn"/> on every child (recursively, children first) and then on this module
    /// (<c>apply()</c>), typically to initialize weights.
    /// </summary>
    /// <returns>This module.</returns>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        foreach (var child in Children())
            child.Apply(fn);
        fn(this);
        return this;
    }

    // ---------------------------------------------------------------- state dicts

    /// <summary>
    /// The module's state by dotted name (<c>state_dict()</c>), in PyTorch's order: own parameters, own persistent
    /// buffers, then each child's state recursively. Shared modules appear under every name they have. Values
    /// are detached tensors over the same storage as the parameters (the parameters themselves when
    /// <paramref name="keepVars"/>), so writing into them writes into the module.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict(string prefix = "", bool keepVars = false)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var destination = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        SaveTo(destination, prefix, keepVars);
        return destination;
    }

    void SaveTo(OrderedDictionary<string, Tensor> destination, string prefix, bool keepVars)
    {
        RegisterMembers();
        foreach (var (name, p) in _parameters)
        {
            if (p is not null) destination[prefix + name] = keepVars ? p : p.Detach();
        }
        foreach (var (name, b) in _buffers)
        {
            if (b is not null && !_nonPersistentBuffers.Contains(name)) destination[prefix + name] = keepVars ? b : b.Detach();
        }
        foreach (var (name, child) in _modules)
            child?.SaveTo(destination, prefix + name + ".", keepVars);
    }

    /// <summary>
    /// Copies <paramref name="stateDict"/>'s values into this module's parameters and persistent buffers, in place
    /// (<c>load_state_dict()</c>). Everything is checked before anything is written: with <paramref name="strict"/>,
    /// missing and unexpected keys are errors (all of them are listed); a shape mismatch is always an error. On
    /// any error the module is left unchanged. Values are converted to each target's dtype.
    /// </summary>
    /// <returns>The keys the module expected but did not get, and the keys it did not expect (both empty when strict succeeds).</returns>
    /// <exception cref="StateDictException">Some key is missing or unexpected (when strict) or some shape does not match.</exception>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var missing = new List<string>();
        var unexpected = new List<string>();
        var mismatches = new List<string>();
        var copies = new List<(Tensor Target, Tensor Source)>();
        PlanLoad(stateDict.ToList(), "", missing, unexpected, mismatches, copies);

        if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            throw new StateDictException(GetName(),
                strict ? missing : Array.Empty<string>(),
                strict ? unexpected : Array.Empty<string>(),
                mismatches);
        }

        // A source that aliases some target (loading a module's own StateDict back, or one built from another
        // module's views) is copied first, so no write can change a value that is still to be read.
        var targets = new HashSet<Storage>(copies.Select(c => c.Target.Storage), ReferenceEqualityComparer.Instance);
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < copies.Count; i++)
            {
                if (targets.Contains(copies[i].Source.Storage))
                    copies[i] = (copies[i].Target, copies[i].Source.Detach().Clone());
            }
            foreach (var (target, source) in copies)
                target.CopyFrom(source);
        }
        return (missing, unexpected);
    }

    // PyTorch's load: this module's own entries, then each child on the keys under its prefix.
    void PlanLoad(List<KeyValuePair<string, Tensor>> local, string prefix, List<string> missing, List<string> unexpected,
        List<string> mismatches, List<(Tensor, Tensor)> copies)
    {
        RegisterMembers();
        var lookup = new Dictionary<string, Tensor>(local.Count, StringComparer.Ordinal);
        foreach (var (key, value) in local) lookup[key] = value;

        var own = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in _parameters)
            if (p is not null) own[name] = p;
        foreach (var (name, b) in _buffers)
            if (b is not null && !_nonPersistentBuffers.Contains(name)) own[name] = b;

        foreach (var (name, target) in own)
        {
            var key = prefix + name;
            if (!lookup.TryGetValue(key, out var source))
            {
                missing.Add(key);
                continue;
            }
            if (source is null)
            {
                mismatches.Add($"expected a tensor for {key}, got null.");
                continue;
            }
            if (!source.Shape.SequenceEqual(target.Shape))
            {
                mismatches.Add($"size mismatch for {key}: copying a param with shape {Rules.Format(source.Sizes)} from checkpoint, the shape in current model is {Rules.Format(target.Sizes)}.");
                continue;
            }
            copies.Add((target, source));
        }

        foreach (var (key, _) in local)
        {
            var rest = key[prefix.Length..];
            int dot = rest.IndexOf('.');
            bool expected = dot >= 0 ? _modules.ContainsKey(rest[..dot]) : own.ContainsKey(rest);
            if (!expected) unexpected.Add(key);
        }

        foreach (var (name, child) in _modules)
        {
            if (child is null) continue;
            var childPrefix = prefix + name + ".";
            var childLocal = local.Where(kv => kv.Key.StartsWith(childPrefix, StringComparison.Ordinal)).ToList();
            child.PlanLoad(childLocal, childPrefix, missing, unexpected, mismatches, copies);
        }
    }

    // ---------------------------------------------------------------- checkpoints

    /// <summary>
    /// Writes <see cref="StateDict"/> to a safetensors file at <paramref name="path"/>, atomically: the old file,
    /// if any, stays intact unless the new one is complete. The metadata is <c>{"format": "pt"}</c>, as
    /// <c>safetensors.torch.save_model</c> writes, so PyTorch-side tools read the file.
    /// </summary>
    public void Save(string path) =>
        Safetensors.Save(path, StateDict(), new Dictionary<string, string> { ["format"] = "pt" });

    /// <summary>
    /// Reads a safetensors file and loads it with <see cref="LoadStateDict"/>. The whole file is validated, and
    /// then the state, before the module is touched: on any error the module is unchanged.
    /// </summary>
    /// <returns>The missing and unexpected keys, as <see cref="LoadStateDict"/> returns them.</returns>
    /// <exception cref="CheckpointException">The file is malformed, or does not fit this module (the inner exception says how).</exception>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) Load(string path, bool strict = true)
    {
        var state = Safetensors.Load(path);
        try
        {
            return LoadStateDict(state, strict);
        }
        catch (StateDictException e)
        {
            throw new CheckpointException(path, e.Message, e);
        }
    }

    // ---------------------------------------------------------------- printing

    /// <summary>
    /// The text inside this module's parentheses when it is printed, for example
    /// <c>in_features=10, out_features=20, bias=True</c> (<c>extra_repr()</c>). Empty by default.
    /// </summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module's name when printed: its class name (without a generic arity suffix).</summary>
    protected string GetName()
    {
        var name = GetType().Name;
        int tick = name.IndexOf('`');
        return tick < 0 ? name : name[..tick];
    }

    /// <summary>
    /// PyTorch's tree, for example <c>Sequential(\n  (0): Linear(in_features=10, out_features=20, bias=True)\n  (1): ReLU()\n)</c>:
    /// the class name, the <see cref="ExtraRepr"/> on one line when there are no children, and otherwise one line
    /// per extra line and per child, indented by two spaces.
    /// </summary>
    public override string ToString()
    {
        RegisterMembers();
        var extra = ExtraRepr();
        var lines = new List<string>();
        if (extra.Length > 0) lines.AddRange(extra.Split('\n'));
        int extraLines = lines.Count;
        foreach (var (name, child) in _modules)
            lines.Add("(" + name + "): " + Indent(child?.ToString() ?? "None", 2));
        return Format(GetName(), lines, extraLines);
    }

    /// <summary>Assembles <c>Name(...)</c> from its lines as PyTorch's <c>__repr__</c> does.</summary>
    private protected static string Format(string name, List<string> lines, int extraLines)
    {
        var sb = new StringBuilder(name).Append('(');
        if (lines.Count == 1 && extraLines == 1)
            sb.Append(lines[0]);
        else if (lines.Count > 0)
            sb.Append("\n  ").AppendJoin("\n  ", lines).Append('\n');
        return sb.Append(')').ToString();
    }

    /// <summary>PyTorch's <c>_addindent</c>: indents every line but the first.</summary>
    private protected static string Indent(string text, int spaces) =>
        text.Replace("\n", "\n" + new string(' ', spaces), StringComparison.Ordinal);
}
