using System;
using System.Collections.Generic;
using System.Linq;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// Which values the backward recomputes: the minimum cut of the graph's values, as AOTAutograd's min-cut
    /// partitioner chooses it. Each buffer value is an edge from its "in" vertex to its "out" vertex whose capacity is
    /// the bytes saving it costs (from its symbolic shape); an edge from each operand's out vertex to the in vertex of
    /// a value recomputable from it; an infinite edge from the source to the in vertex of each value that may not be
    /// recomputed (a matrix product, a convolution, a pool, a norm, a softmax, an embedding, an attention layer, a
    /// view or a value a view shares storage with); and an infinite edge from the out vertex of each value the
    /// backward reads to the sink. The arguments (and the output, made per call) are there anyway and have no vertex.
    /// A cut then separates what the forward computes from what the backward needs: the values whose edge it crosses
    /// are the ones saved, and the backward recomputes the others it needs from them. The least cut saves the fewest
    /// bytes; of the least cuts the one nearest the backward is taken, so a value is recomputed only where that saves
    /// bytes, and the choice does not depend on the order the flow was found in.
    /// </summary>
    internal sealed partial class GraphPlanner
    {
        /// <summary>The symbolic shapes of the graph's values (null when they were not worked out: every value then costs the same).</summary>
        public GraphShapes? Shapes { get; private set; }

        /// <summary>The storage the forward leaves for the backward when the graph saves everything it reads: each buffer once, a view as its source.</summary>
        public List<PlannedValue> SavedWhenSaving { get; } = new List<PlannedValue>();

        /// <summary>The storage the forward leaves for the backward when the graph recomputes (the cut).</summary>
        public List<PlannedValue> SavedWhenRecomputing { get; } = new List<PlannedValue>();

        /// <summary>The atom standing for the unknown dims before a partial shape's known ones (<c>[..., 128]</c>).</summary>
        static readonly Dim Leading = Dim.Named("__leading");

        readonly Dictionary<string, Dim> _unknownDims = new Dictionary<string, Dim>(StringComparer.Ordinal);

        /// <summary>
        /// Whether the backward may compute <paramref name="value"/> again rather than keep it: a buffer made by an
        /// element-wise step, that is no view and that no view shares storage with.
        /// </summary>
        bool Recomputable(PlannedValue value, HashSet<PlannedValue> viewed) =>
            value.Home == Home.Arena && value.ViewOf is null && !viewed.Contains(value) && IsElementwise(Steps[value.Producer].Kind);

        /// <summary>The values to recompute: the sink's side of the least cut, among those the backward needs.</summary>
        HashSet<PlannedValue> ChooseRecomputed(Dictionary<PlannedValue, List<int>> reads)
        {
            var viewed = new HashSet<PlannedValue>(Values.Where(v => v.ViewOf is not null).Select(v => v.ViewOf!));
            var cut = new MinCut();
            int source = cut.AddVertex(), sink = cut.AddVertex();
            var inVertex = new Dictionary<PlannedValue, int>();
            var outVertex = new Dictionary<PlannedValue, int>();
            var arena = Values.Where(v => v.Home == Home.Arena).ToList();
            foreach (var value in arena)
            {
                inVertex[value] = cut.AddVertex();
                outVertex[value] = cut.AddVertex();
                if (value.ViewOf is { } root)
                {
                    // A view costs nothing of its own: kept, it keeps its source's storage, which is saved (it may
                    // not be recomputed) and counted there.
                    cut.AddEdge(inVertex[value], outVertex[value], null);
                    continue;
                }
                cut.AddEdge(inVertex[value], outVertex[value], SavedCost(value));
                if (!Recomputable(value, viewed)) cut.AddEdge(source, inVertex[value], null);
            }
            foreach (var value in arena)
            {
                if (reads.ContainsKey(value)) cut.AddEdge(outVertex[value], sink, null);
                if (value.ViewOf is { } root) cut.AddEdge(outVertex[root], inVertex[value], null);
                else if (Recomputable(value, viewed))
                    foreach (var input in Steps[value.Producer].Inputs.Distinct().Where(i => i.Home == Home.Arena))
                        cut.AddEdge(outVertex[input], inVertex[value], null);
            }
            var sinkSide = cut.SinkSide(source, sink);

            // The values the backward needs: those it reads, and the operands of those it recomputes.
            var chosen = new HashSet<PlannedValue>();
            var kept = new HashSet<PlannedValue>();
            var pending = new Stack<PlannedValue>(Enumerable.Reverse(arena).Where(reads.ContainsKey));
            while (pending.Count > 0)
            {
                var value = pending.Pop();
                if (!Recomputable(value, viewed) || !sinkSide[inVertex[value]])
                {
                    kept.Add(value.ViewOf ?? value);
                    continue;
                }
                if (!chosen.Add(value)) continue;
                foreach (var input in Steps[value.Producer].Inputs.Where(i => i.Home == Home.Arena)) pending.Push(input);
            }
            SavedWhenSaving.AddRange(arena.Where(v => v.ViewOf is null && (reads.ContainsKey(v) || arena.Any(w => w.ViewOf == v && reads.ContainsKey(w)))));
            SavedWhenRecomputing.AddRange(arena.Where(kept.Contains));
            return chosen;
        }

        /// <summary>The bytes of storage in <paramref name="values"/> as a symbolic size (<c>4096*B</c>).</summary>
        public Dim SavedBytes(IEnumerable<PlannedValue> values) => values.Aggregate(Dim.Zero, (sum, v) => sum + SavedCost(v));

        /// <summary>
        /// A symbolic size as the generated comments print it: <c>4096*B</c>; the unknown leading dims of a partial
        /// shape as <c>N</c>, an unknown dim as <c>?</c>.
        /// </summary>
        public static string FormatBytes(Dim bytes) =>
            System.Text.RegularExpressions.Regex.Replace(bytes.ToString().Replace(Leading.ToString(), "N"), "__unknown[0-9]+", "?");

        /// <summary>
        /// The bytes saving <paramref name="value"/> costs: 4 per element (every buffer is Float32) times its shape's
        /// dims, as a polynomial in the shape's names. The dims before a partial shape's known ones (an argument without
        /// <c>[Shape]</c>) count as one unknown size, the same in every shape of the graph, and a dim the rules could
        /// not name as an unknown size of its own per text.
        /// </summary>
        Dim SavedCost(PlannedValue value)
        {
            var text = Shapes is { } shapes && value.Node < shapes.Values.Count ? shapes.Values[value.Node] : "[...]";
            var bytes = Dim.Of(sizeof(float));
            try
            {
                foreach (var entry in text.Trim('[', ']').Split(',').Select(e => e.Trim()).Where(e => e.Length > 0))
                    bytes *= entry == "..." ? Leading : Parsed(entry);
                return bytes;
            }
            catch (ArithmeticException)
            {
                return Leading * sizeof(float);
            }
        }

        Dim Parsed(string entry)
        {
            if (DimParser.TryParseDim(entry, out var dim, out _) && dim is not null) return dim;
            if (!_unknownDims.TryGetValue(entry, out var unknown))
                _unknownDims[entry] = unknown = Dim.Named("__unknown" + _unknownDims.Count);
            return unknown;
        }
    }
}
