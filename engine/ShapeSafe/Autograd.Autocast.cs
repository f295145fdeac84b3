using System.Runtime.CompilerServices;

namespace ShapeSafe;

// Automatic mixed precision (torch.autocast("cpu", dtype=torch.bfloat16)). The state is per flow of control, like
// the grad modes: one AsyncLocal int of flags, 0 when no scope ever set it (disabled, cache enabled, dtype BFloat16),
// and the current region (its cast cache) in a second AsyncLocal. Ops read them through AutocastLower; only the ops
// on PyTorch's CPU lists ask (see docs/mixed-precision.md).
public static partial class Autograd
{
    // Bit 0: enabled. Bit 1: the cast cache is off (so the default, 0, has it on, as PyTorch's thread-local
    // cache_enabled = true). The dtype is always BFloat16 (the one lower-precision dtype the engine has), so no more bits.
    const int AutocastOn = 1, AutocastCacheOff = 2;
    static readonly AsyncLocal<int> s_autocast = new();

    // The outermost Autocast scope of this flow of control opens a region and closes it when disposed; nested scopes
    // run in their outer region. This is ATen's nesting count (increment_nesting / decrement_nesting): its clear_cache
    // when the count reaches zero is the region's Close.
    static readonly AsyncLocal<AutocastRegion?> s_autocastRegion = new();

    /// <summary>Whether ops in this flow of control autocast (<c>torch.is_autocast_enabled("cpu")</c>).</summary>
    public static bool IsAutocastEnabled => (s_autocast.Value & AutocastOn) != 0;

    /// <summary>
    /// Whether autocast keeps the BFloat16 copies of Float32 leaf weights it made in this region and reuses them
    /// (<c>torch.is_autocast_cache_enabled()</c>): true unless an enclosing <see cref="Autocast"/> scope passed
    /// <c>cacheEnabled: false</c>.
    /// </summary>
    public static bool IsAutocastCacheEnabled => (s_autocast.Value & AutocastCacheOff) == 0;

    /// <summary>
    /// The lower-precision dtype autocast casts to (<c>torch.get_autocast_dtype("cpu")</c>): BFloat16, the CPU default,
    /// also outside any scope.
    /// </summary>
    public static DType AutocastDType => DType.BFloat16;

    /// <summary>
    /// Mixed precision until the returned scope is disposed (<c>with torch.autocast("cpu", dtype=torch.bfloat16):</c>):
    /// matrix products, linear layers and convolutions cast their Float32 operands to <paramref name="dtype"/> and return
    /// results of that dtype computed with float32 accumulation; losses cast BFloat16 inputs to Float32; other ops run in
    /// their inputs' dtypes. <c>enabled: false</c> turns autocast off inside an enabled region. Disposing the scope
    /// restores the outer state. The exact op lists are in docs/mixed-precision.md.
    /// </summary>
    /// <param name="dtype">The lower-precision dtype; only BFloat16.</param>
    /// <param name="enabled">Whether ops autocast inside the scope.</param>
    /// <param name="cacheEnabled">
    /// PyTorch's <c>cache_enabled</c>: whether the BFloat16 cast of a Float32 leaf that requires grad (a weight) is made
    /// once per region and reused by every later op of the region. Null keeps the enclosing scope's setting, which is
    /// true outside any scope. The cache is emptied when the outermost scope is disposed; an in-place change to a
    /// weight inside the region is not seen by its cached copy (as in PyTorch).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not BFloat16 (PyTorch warns and disables autocast).</exception>
    public static IDisposable Autocast(DType dtype = DType.BFloat16, bool enabled = true, bool? cacheEnabled = null)
    {
        if (dtype != DType.BFloat16)
            throw new ArgumentException($"Autocast: CPU autocast supports dtype BFloat16 only, got {dtype}", nameof(dtype));
        int outer = s_autocast.Value;
        bool cache = cacheEnabled ?? (outer & AutocastCacheOff) == 0;
        Set(s_autocast, outer, (enabled ? AutocastOn : 0) | (cache ? 0 : AutocastCacheOff));
        // A closed region is one a flow inherited from a scope that has since been disposed (a thread started inside
        // it): a scope there is outermost again.
        AutocastRegion? opened = null;
        if (s_autocastRegion.Value is not { IsOpen: true })
            s_autocastRegion.Value = opened = new AutocastRegion();
        return new AutocastScope(outer, opened);
    }

    /// <summary>
    /// Turns autocast off until the returned scope is disposed, for the engine's own code (the backward pass, ops
    /// computed through float32): unlike <c>Autocast(enabled: false)</c> it opens no region, as ATen's internal guards
    /// do not count as nesting.
    /// </summary>
    internal static IDisposable AutocastDisabled()
    {
        int outer = s_autocast.Value;
        Set(s_autocast, outer, outer & ~AutocastOn);
        return new StateScope(s_autocast, outer);
    }

    /// <summary>
    /// ATen's <c>cached_cast</c> to the lower-precision dtype for an eligible Float32 operand: the region's cached copy of
    /// a leaf that requires grad and is not a view, when the cache is on; otherwise a fresh cast.
    /// </summary>
    internal static Tensor CastToAutocastDType(Tensor source)
    {
        if (source.RequiresGrad && source.IsLeaf && !source.IsView && IsAutocastCacheEnabled
            && s_autocastRegion.Value is { } region && region.TryGetCast(source) is { } cached)
            return cached;
        return source.ToDType(AutocastDType);
    }

    /// <summary>
    /// One outermost autocast region of a flow of control: its cast cache. Keyed by the source tensor's identity and
    /// held weakly (a ConditionalWeakTable), so a weight no longer referenced elsewhere drops its copy; nothing is kept
    /// once the region closes. Flows started inside the region share it (they inherit the autocast state with it).
    /// </summary>
    sealed class AutocastRegion
    {
        readonly ConditionalWeakTable<Tensor, Tensor> _casts = new();
        readonly Lock _gate = new();
        bool _closed;

        public bool IsOpen
        {
            get { lock (_gate) return !_closed; }
        }

        /// <summary>The cached cast of <paramref name="source"/>, made now if absent; null once the region is closed.</summary>
        public Tensor? TryGetCast(Tensor source)
        {
            lock (_gate)
            {
                if (_closed) return null;
                if (_casts.TryGetValue(source, out var cast)) return cast;
                cast = source.ToDType(AutocastDType);
                _casts.Add(source, cast);
                return cast;
            }
        }

        public void Close()
        {
            lock (_gate)
            {
                _closed = true;
                _casts.Clear();
            }
        }
    }

    /// <summary>Restores the outer autocast flags; the outermost scope also closes its region (ATen's clear_cache).</summary>
    sealed class AutocastScope(int outer, AutocastRegion? opened) : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Set(s_autocast, s_autocast.Value, outer);
            if (opened is null) return;
            opened.Close();
            if (ReferenceEquals(s_autocastRegion.Value, opened)) s_autocastRegion.Value = null;
        }
    }
}
