using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// What is known at one point of a method: the values of locals, parameters and flow captures. A missing
    /// entry means unknown, so joining two states keeps only what both agree on and the analysis always ends.
    /// </summary>
    internal sealed class FlowState
    {
        readonly Dictionary<ISymbol, Value> _symbols;
        readonly Dictionary<CaptureId, Value> _captures;

        public FlowState()
        {
            _symbols = new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default);
            _captures = new Dictionary<CaptureId, Value>();
        }

        FlowState(FlowState other)
        {
            _symbols = new Dictionary<ISymbol, Value>(other._symbols, SymbolEqualityComparer.Default);
            _captures = new Dictionary<CaptureId, Value>(other._captures);
        }

        public FlowState Clone() => new(this);

        public Value? Get(ISymbol symbol) => _symbols.TryGetValue(symbol, out var v) ? v : null;

        public void Set(ISymbol symbol, Value? value)
        {
            if (value is null) _symbols.Remove(symbol);
            else _symbols[symbol] = value;
        }

        public Value? Get(CaptureId id) => _captures.TryGetValue(id, out var v) ? v : null;

        public void Set(CaptureId id, Value? value)
        {
            if (value is null) _captures.Remove(id);
            else _captures[id] = value;
        }

        /// <summary>
        /// Which iteration of each <c>foreach</c> over a known sequence this state is in (null when none): states
        /// with different keys are kept apart, so such loops are unrolled rather than joined.
        /// </summary>
        public string? IterationKey(IReadOnlyList<ISymbol>? counters = null)
        {
            List<string>? parts = null;
            foreach (var kv in _captures)
                if (kv.Value is EnumeratorValue e)
                    (parts ??= new List<string>()).Add(kv.Key.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + e.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // The index of a for loop over a known sequence of layers: one state per index, as foreach over it.
            if (counters is not null)
                for (int i = 0; i < counters.Count; i++)
                    if (Get(counters[i]) is IntValue counter && counter.TryGetConstant(out int k))
                        (parts ??= new List<string>()).Add("i" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "=" + k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (parts is null) return null;
            parts.Sort(System.StringComparer.Ordinal);
            return string.Join(";", parts);
        }

        public bool HasEnumerators
        {
            get
            {
                foreach (var v in _captures.Values)
                    if (v is EnumeratorValue) return true;
                return false;
            }
        }

        public void RemoveCaptures(System.Func<CaptureId, bool> predicate)
        {
            List<CaptureId>? dead = null;
            foreach (var kv in _captures)
                if (kv.Value is EnumeratorValue && predicate(kv.Key)) (dead ??= new List<CaptureId>()).Add(kv.Key);
            if (dead is null) return;
            foreach (var id in dead) _captures.Remove(id);
        }

        /// <summary>Weakens this state to what it shares with <paramref name="other"/>; true when anything changed.</summary>
        public bool JoinFrom(FlowState other) => Join(_symbols, other._symbols) | Join(_captures, other._captures);

        static bool Join<TKey>(Dictionary<TKey, Value> into, Dictionary<TKey, Value> from)
        {
            bool changed = false;
            foreach (var key in into.Keys.ToList())
            {
                var mine = into[key];
                var joined = from.TryGetValue(key, out var theirs) ? mine.Join(theirs) : null;
                if (joined is null)
                {
                    into.Remove(key);
                    changed = true;
                }
                else if (!ReferenceEquals(joined, mine))
                {
                    into[key] = joined;
                    changed = true;
                }
            }
            return changed;
        }
    }
}
