using System;
using System.Text;

namespace ShapeSafe.Generators
{
    /// <summary>Writes indented C#; <see cref="Block"/> opens a brace and returns the scope that closes it.</summary>
    internal sealed class SourceWriter
    {
        const string IndentUnit = "    ";
        readonly StringBuilder _text = new StringBuilder();
        int _depth;

        /// <summary>Writes one line at the current indentation (an empty line stays empty).</summary>
        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0)
            {
                for (int i = 0; i < _depth; i++) _text.Append(IndentUnit);
                _text.Append(line);
            }
            _text.Append('\n');
            return this;
        }

        /// <summary>Writes <paramref name="header"/> (if any) and <c>{</c>, and indents until the scope is disposed.</summary>
        public Scope Block(string? header = null)
        {
            if (header is not null) Line(header);
            Line("{");
            _depth++;
            return new Scope(this);
        }

        public override string ToString() => _text.ToString();

        /// <summary>Closes the brace that <see cref="Block"/> opened.</summary>
        public readonly struct Scope : IDisposable
        {
            readonly SourceWriter _writer;

            public Scope(SourceWriter writer) => _writer = writer;

            public void Dispose()
            {
                _writer._depth--;
                _writer.Line("}");
            }
        }
    }
}
