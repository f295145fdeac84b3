using System.Collections.Generic;
using ShapeSafe.Shapes;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// A small flow network whose capacities are symbolic sizes (<see cref="Dim"/>, such as <c>4096*B</c>) or
    /// infinite, and its minimum cut by Edmonds–Karp: augmenting along shortest paths until none is left. Edmonds–Karp
    /// needs of its capacities only that they add, subtract and compare, so it works on any totally ordered group:
    /// here polynomials in the shapes' names, compared by <see cref="Compare"/>.
    /// </summary>
    internal sealed class MinCut
    {
        sealed class Edge
        {
            public Edge(int to, Dim? capacity, Edge? reverse)
            {
                To = to;
                Residual = capacity;
                Reverse = reverse!;
            }

            public int To { get; }

            /// <summary>What more may flow along it; null for infinite.</summary>
            public Dim? Residual { get; set; }

            public Edge Reverse { get; set; }
        }

        readonly List<List<Edge>> _edges = new List<List<Edge>>();

        /// <summary>A new vertex, numbered from 0.</summary>
        public int AddVertex()
        {
            _edges.Add(new List<Edge>());
            return _edges.Count - 1;
        }

        public int VertexCount => _edges.Count;

        /// <summary>An edge from <paramref name="from"/> to <paramref name="to"/>; a null capacity is infinite.</summary>
        public void AddEdge(int from, int to, Dim? capacity)
        {
            var forward = new Edge(to, capacity, null);
            var backward = new Edge(from, Dim.Zero, forward);
            forward.Reverse = backward;
            _edges[from].Add(forward);
            _edges[to].Add(backward);
        }

        /// <summary>
        /// The order of costs: by the coefficient of the highest-degree term of their difference, so a cost per unit of
        /// <c>B</c> outweighs any constant and, between costs per unit of <c>B</c>, the larger coefficient is more
        /// (<c>1024*B</c> is more than <c>4*B + 4096</c>). Negative, zero or positive as <paramref name="a"/> is less
        /// than, equal to or more than <paramref name="b"/>.
        /// </summary>
        public static int Compare(Dim a, Dim b)
        {
            var difference = a - b;
            return difference.IsZero ? 0 : difference.TermAt(0).Coefficient.Sign;
        }

        static bool Positive(Dim? residual) => residual is null || Compare(residual, Dim.Zero) > 0;

        /// <summary>
        /// Pushes the maximum flow from <paramref name="source"/> to <paramref name="sink"/> and returns the sink's
        /// side of the minimum cut nearest the sink: the vertices from which the sink can still be reached in the
        /// residual network. Of all the cuts of least capacity it is the one whose source side is largest, and it is
        /// the same whatever order the augmenting paths were found in. Every path from the source to the sink must
        /// cross an edge of finite capacity.
        /// </summary>
        public bool[] SinkSide(int source, int sink)
        {
            int n = _edges.Count;
            while (true)
            {
                // Breadth first from the source, over edges that can take more flow, so the path is a shortest one.
                var via = new Edge?[n];
                var from = new int[n];
                var seen = new bool[n];
                seen[source] = true;
                var queue = new Queue<int>();
                queue.Enqueue(source);
                while (queue.Count > 0 && !seen[sink])
                {
                    int v = queue.Dequeue();
                    foreach (var edge in _edges[v])
                    {
                        if (seen[edge.To] || !Positive(edge.Residual)) continue;
                        seen[edge.To] = true;
                        via[edge.To] = edge;
                        from[edge.To] = v;
                        queue.Enqueue(edge.To);
                    }
                }
                if (!seen[sink]) break;
                Dim? bottleneck = null;
                for (int v = sink; v != source; v = from[v])
                {
                    var residual = via[v]!.Residual;
                    if (residual is not null && (bottleneck is null || Compare(residual, bottleneck) < 0)) bottleneck = residual;
                }
                if (bottleneck is null)
                    throw new System.InvalidOperationException("MinCut: a path of infinite capacity from the source to the sink");
                for (int v = sink; v != source; v = from[v])
                {
                    var edge = via[v]!;
                    if (edge.Residual is not null) edge.Residual -= bottleneck;
                    if (edge.Reverse.Residual is not null) edge.Reverse.Residual += bottleneck;
                }
            }

            // The sink's side: every vertex with a residual path to the sink, found backwards from the sink.
            var side = new bool[n];
            side[sink] = true;
            var pending = new Queue<int>();
            pending.Enqueue(sink);
            while (pending.Count > 0)
            {
                int w = pending.Dequeue();
                // An edge v → w with residual capacity is the reverse of one of w's edges, w → v.
                foreach (var edge in _edges[w])
                {
                    if (side[edge.To] || !Positive(edge.Reverse.Residual)) continue;
                    side[edge.To] = true;
                    pending.Enqueue(edge.To);
                }
            }
            return side;
        }
    }
}
