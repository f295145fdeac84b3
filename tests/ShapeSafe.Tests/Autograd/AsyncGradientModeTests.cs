namespace ShapeSafe.Tests.Autograd;

/// <summary>Gradient modes across <c>await</c>: a scope restores the modes of its own flow, on whatever thread it ends.</summary>
public class AsyncGradientModeTests
{
    static async Task<bool> EvaluateAsync()
    {
        using (ShapeSafe.Autograd.NoGrad())
        {
            await Task.Delay(10);
            return ShapeSafe.Autograd.IsGradEnabled; // still inside the scope, perhaps on another thread
        }
    }

    [Fact]
    public async Task A_no_grad_scope_around_an_await_leaves_no_thread_without_gradients()
    {
        var inside = new List<Task<bool>>();
        for (int i = 0; i < 40; i++) inside.Add(Task.Run(() => Task.WhenAll(EvaluateAsync(), EvaluateAsync())).ContinueWith(t => t.Result.Any(b => b)));
        Assert.True(ShapeSafe.Autograd.IsGradEnabled);
        Assert.All(await Task.WhenAll(inside), anyEnabled => Assert.False(anyEnabled));

        // Later work on the thread pool (which ran every continuation and Dispose above) records again.
        var later = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => Task.Run(() => ShapeSafe.Autograd.IsGradEnabled)));
        Assert.All(later, Assert.True);
        Assert.True(ShapeSafe.Autograd.IsGradEnabled);
    }

    [Fact]
    public async Task The_caller_of_an_async_method_keeps_its_mode_while_the_method_awaits()
    {
        var pending = EvaluateAsync();
        Assert.True(ShapeSafe.Autograd.IsGradEnabled);
        Assert.False(await pending);
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        Assert.Equal("MulBackward", (x * 2).GradFn);
    }

    [Fact]
    public void Set_grad_enabled_as_a_call_lasts_until_set_again_in_the_same_flow()
    {
        ShapeSafe.Autograd.SetGradEnabled(false);
        try
        {
            Assert.False(ShapeSafe.Autograd.IsGradEnabled);
        }
        finally
        {
            ShapeSafe.Autograd.SetGradEnabled(true);
        }
        Assert.True(ShapeSafe.Autograd.IsGradEnabled);
    }
}
