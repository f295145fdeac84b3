namespace ShapeSafe.Tests.Autograd;

// This namespace hides the engine's Autograd class; name it once here.
using Autograd = ShapeSafe.Autograd;

/// <summary>
/// Seed section 7, "controlling gradient computation": every example, with the values it prints. The modes are per
/// thread, so each test that changes them runs inside a scope that restores the thread's mode when it ends, even when
/// an assertion fails; otherwise a later test on the same xUnit thread would start with gradients off.
/// </summary>
public class GradientModeSeedTests
{
    [Fact]
    public void No_grad_disables_gradient_computation()
    {
        // x = torch.zeros(1, requires_grad=True)
        // with torch.no_grad():
        //     y = x * 2
        // print(y.requires_grad)  # False
        var x = Tensor.Zeros(1);
        x.RequiresGrad = true;
        Tensor y;
        using (Autograd.NoGrad())
            y = x * 2;
        Assert.False(y.RequiresGrad);
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void Set_grad_enabled_works_as_a_scope_and_as_a_function()
    {
        using var restore = Autograd.EnableGrad();
        var x = Tensor.Zeros(1);
        x.RequiresGrad = true;

        // is_train = False
        // with torch.set_grad_enabled(is_train):
        //     y = x * 2
        // print(y.requires_grad)  # False
        bool isTrain = false;
        Tensor y;
        using (Autograd.SetGradEnabled(isTrain))
            y = x * 2;
        Assert.False(y.RequiresGrad);

        // torch.set_grad_enabled(True)  # also usable as a function
        // y = x * 2
        // print(y.requires_grad)  # True
        Autograd.SetGradEnabled(true);
        y = x * 2;
        Assert.True(y.RequiresGrad);

        // torch.set_grad_enabled(False)
        // y = x * 2
        // print(y.requires_grad)  # False
        Autograd.SetGradEnabled(false);
        y = x * 2;
        Assert.False(y.RequiresGrad);
    }

    [Fact]
    public void Is_grad_enabled_reports_the_current_state()
    {
        using var restore = Autograd.EnableGrad();

        // torch.set_grad_enabled(True)
        // print(torch.is_grad_enabled())  # True
        Autograd.SetGradEnabled(true);
        Assert.True(Autograd.IsGradEnabled);

        // torch.set_grad_enabled(False)
        // print(torch.is_grad_enabled())  # False
        Autograd.SetGradEnabled(false);
        Assert.False(Autograd.IsGradEnabled);
    }

    [Fact]
    public void Inference_mode_holds_only_inside_its_scope()
    {
        // with torch.autograd.grad_mode.inference_mode():
        //     x = torch.randn(3, 3)
        //     y = x * 2
        // print(torch.is_inference_mode_enabled())  # False
        Tensor y;
        using (Autograd.InferenceMode())
        {
            Assert.True(Autograd.IsInferenceModeEnabled);
            Assert.False(Autograd.IsGradEnabled);
            var x = Tensor.Randn(3, 3);
            y = x * 2;
        }
        Assert.False(Autograd.IsInferenceModeEnabled);
        Assert.True(Autograd.IsGradEnabled);
        Assert.Equal([3, 3], y.Shape);
        Assert.False(y.RequiresGrad);
    }

    [Fact]
    public void Inference_mode_false_leaves_the_modes_alone()
    {
        using (Autograd.InferenceMode(false))
        {
            Assert.False(Autograd.IsInferenceModeEnabled);
            Assert.True(Autograd.IsGradEnabled);
        }
    }

    [Fact]
    public void Modes_are_per_flow_of_control()
    {
        // PyTorch: "These managers act on the local thread: work sent to another thread with threading does not see them."
        // Here modes follow the logical flow (docs/autograd.md): a thread started without the caller's context (as
        // the engine's own workers are) starts with the defaults; one started with Start() inherits the caller's modes.
        var x = Tensor.Zeros(1);
        x.RequiresGrad = true;
        bool? otherThreadEnabled = null, otherThreadInference = null, otherThreadRecords = null, inheritedEnabled = null;
        using (Autograd.InferenceMode())
        using (Autograd.NoGrad())
        {
            var thread = new Thread(() =>
            {
                otherThreadEnabled = Autograd.IsGradEnabled;
                otherThreadInference = Autograd.IsInferenceModeEnabled;
                otherThreadRecords = (x * 2).RequiresGrad;
            });
            thread.UnsafeStart();
            thread.Join();
            var inheriting = new Thread(() => inheritedEnabled = Autograd.IsGradEnabled);
            inheriting.Start();
            inheriting.Join();
            Assert.False(Autograd.IsGradEnabled);
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True(otherThreadEnabled);
        Assert.False(otherThreadInference);
        Assert.True(otherThreadRecords);
        Assert.False(inheritedEnabled);
    }

    [Fact]
    public void Enable_grad_inside_no_grad_records_again()
    {
        var x = Tensor.Zeros(1);
        x.RequiresGrad = true;
        using (Autograd.NoGrad())
        {
            using (Autograd.EnableGrad())
                Assert.True((x * 2).RequiresGrad);
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True((x * 2).RequiresGrad);
    }
}
