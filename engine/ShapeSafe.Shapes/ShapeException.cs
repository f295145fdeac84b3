using System;

namespace ShapeSafe
{
    /// <summary>
    /// A shape error: the operation refused its inputs. The message names the operation, every
    /// input shape involved and the offending dimension. The same rule raises it in the engine
    /// (concrete sizes) and in the analyzers (symbolic sizes).
    /// </summary>
    public class ShapeException : ArgumentException
    {
        /// <summary>Creates a shape error for <paramref name="operation"/>.</summary>
        public ShapeException(string operation, string message)
            : base(operation + ": " + message)
        {
            Operation = operation;
            Detail = message;
        }

        /// <summary>The operation that refused its inputs, for example <c>"Matmul"</c>.</summary>
        public string Operation { get; }

        /// <summary>The message without the operation prefix.</summary>
        public string Detail { get; }
    }

    /// <summary>
    /// Raised by a rule running over symbolic dims when the answer depends on sizes it cannot
    /// know (for example whether <c>B</c> is 1). Concrete dims never raise it. The analyzers
    /// treat it as "unknown" and stay silent.
    /// </summary>
    public sealed class UndecidableShapeException : Exception
    {
        /// <summary>Creates the exception for <paramref name="operation"/>.</summary>
        public UndecidableShapeException(string operation, string question)
            : base(operation + ": cannot decide " + question)
        {
        }
    }
}
