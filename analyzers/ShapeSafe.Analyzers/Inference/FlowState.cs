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
