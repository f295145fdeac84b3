using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

/// <summary>Each SS2xxx diagnostic: where it fires, its message, and the clean cases beside it that must stay silent.</summary>
public class DiagnosticTests
{
    [Fact]
    public Task SS2001_a_module_holding_layers_without_Module_is_warned() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        public class {|#0:Net|} : Module
        {
            readonly Linear fc = new(4, 2);
            readonly Linear[] heads = [new(2, 1)];
            Parameter scale = new(Tensor.Ones(1));
            public Tensor Forward(Tensor x) => fc.Forward(x) * scale;
        }
        """,
        Diagnostic("SS2001", DiagnosticSeverity.Warning).WithLocation(0)
            .WithArguments("Net", "'fc', 'heads', 'scale'"));

    [Fact]
    public Task SS2001_stays_silent_for_hand_registration_stateless_modules_and_non_modules() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        public class ByHand : Module
        {
            public ByHand() => Fc = RegisterModule("fc", new Linear(4, 2));
            public Linear Fc { get; }
        }
        public class Stateless : Module
        {
            readonly int width = 3;
            Tensor cache = Tensor.Zeros(1);
            public Linear Computed => new(1, 1);
            public int Width => width + (cache is null ? 0 : 1);
        }
        public class NotAModule
        {
            public Linear Fc { get; } = new(4, 2);
        }
        [Module]
        public partial class Generated : Module
        {
            readonly Linear fc = new(4, 2);
        }
        """);

    [Fact]
    public Task SS2002_a_Module_class_that_is_not_partial() => Diagnostics("""
        using ShapeSafe.NN;
        [Module]
        public class {|#0:Net|} : Module
        {
            readonly Linear fc = new(4, 2);
        }
        """,
        Diagnostic("SS2002").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task SS2003_a_Module_class_that_does_not_derive_from_Module() => Diagnostics("""
        using ShapeSafe.NN;
        [Module]
        public partial class {|#0:Net|}
        {
        }
        """,
        Diagnostic("SS2003").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task SS2004_a_Module_class_nested_in_a_type_that_is_not_partial() => Diagnostics("""
        using ShapeSafe.NN;
        public class Outer
        {
            [Module]
            public partial class {|#0:Inner|} : Module
            {
            }
        }
        """,
        Diagnostic("SS2004").WithLocation(0).WithArguments("Inner", "Outer"));

    [Fact]
    public Task SS2005_two_members_registered_under_one_name() => Diagnostics("""
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear _fc = new(4, 2);
            [StateName("fc")] readonly Linear {|#0:other|} = new(4, 2);
        }
        """,
        Diagnostic("SS2005").WithLocation(0).WithArguments("_fc", "other", "fc"));

    [Fact]
    public Task SS2006_attributes_on_members_that_cannot_be_state() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            [Buffer] int {|#0:steps|};
            [Buffer] Parameter {|#1:weight|} = new(Tensor.Ones(1));
            [Buffer] static Tensor {|#2:shared|} = Tensor.Ones(1);
            [Buffer] Tensor {|#3:Computed|} => Tensor.Ones(1);
            [StateName("t")] Tensor {|#4:plain|} = Tensor.Ones(1);
            [StateName("n")] string {|#5:label|} = "";
            public int Use() => steps + label.Length + (plain is null ? 0 : 1);
        }
        """,
        Diagnostic("SS2006").WithLocation(0).WithArguments("steps", "[Buffer] needs a Tensor member"),
        Diagnostic("SS2006").WithLocation(1).WithArguments("weight", "a Parameter is registered as a parameter; remove [Buffer]"),
        Diagnostic("SS2006").WithLocation(2).WithArguments("shared", "only instance fields and auto-properties are registered (not static, const or computed members)"),
        Diagnostic("SS2006").WithLocation(3).WithArguments("Computed", "only instance fields and auto-properties are registered (not static, const or computed members)"),
        Diagnostic("SS2006").WithLocation(4).WithArguments("plain", "a plain Tensor member is not state, as in PyTorch; mark it [Buffer] to make it a buffer"),
        Diagnostic("SS2006").WithLocation(5).WithArguments("label", "its type is not a Module, an array or read-only list of modules, a Parameter or a Tensor"));

    [Fact]
    public Task SS2007_collections_the_generator_does_not_register() => Diagnostics("""
        using System.Collections.Generic;
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Parameter[] {|#0:weights|} = [];
            readonly IEnumerable<Linear> {|#1:layers|} = [];
            readonly Dictionary<string, Linear> {|#2:byName|} = new();
            readonly Linear[] registered = [];
            readonly List<Linear> alsoRegistered = [];
        }
        """,
        Diagnostic("SS2007", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("weights", "Parameter[]", "use an array or IReadOnlyList of modules, a ModuleList, or one member per parameter or buffer"),
        Diagnostic("SS2007", DiagnosticSeverity.Warning).WithLocation(1).WithArguments("layers", "IEnumerable<Linear>", "use an array or IReadOnlyList of modules, a ModuleList, or one member per parameter or buffer"),
        Diagnostic("SS2007", DiagnosticSeverity.Warning).WithLocation(2).WithArguments("byName", "Dictionary<string, Linear>", "use an array or IReadOnlyList of modules, a ModuleList, or one member per parameter or buffer"));

    [Fact]
    public Task SS2008_state_names_PyTorch_refuses() => Diagnostics("""
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            [StateName("")] readonly Linear {|#0:a|} = new(1, 1);
            [StateName("b.c")] readonly Linear {|#1:b|} = new(1, 1);
            readonly Linear {|#2:_|} = new(1, 1);
        }
        """,
        Diagnostic("SS2008").WithLocation(0).WithArguments("a", "", "is empty"),
        Diagnostic("SS2008").WithLocation(1).WithArguments("b", "b.c", "contains '.'"),
        Diagnostic("SS2008").WithLocation(2).WithArguments("_", "", "is empty"));
}
