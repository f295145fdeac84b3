using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.DTypes;

using Autograd = ShapeSafe.Autograd;

// ATen's cached_cast: inside one autocast region the BFloat16 copy of a Float32 leaf that requires grad (a weight) is
// made once and reused; every other cast is made afresh. Tensor.AutocastLower is the cast the listed ops call.
public class AutocastCacheTests
{
    static Tensor Weight(params int[] shape)
    {
        var w = Tensor.Randn(shape);
        w.RequiresGrad = true;
        return w;
    }

    [Fact]
    public void AWeightUsedTwiceInOneRegionIsCastOnce()
    {
        var w = Weight(3, 4);
        using (Autograd.Autocast(DType.BFloat16))
        {
            Assert.True(Autograd.IsAutocastCacheEnabled);
            var first = Tensor.AutocastLower(w);
            Assert.Equal(DType.BFloat16, first.DType);
            Assert.Equal("ToCopyBackward", first.GradFn);
            Assert.Same(first, Tensor.AutocastLower(w));
            // The cast of another weight is its own.
            Assert.NotSame(first, Tensor.AutocastLower(Weight(3, 4)));
        }
    }

    [Fact]
    public void EachRegionCastsAgain()
    {
        var w = Weight(3, 4);
        Tensor first, second;
        using (Autograd.Autocast(DType.BFloat16)) first = Tensor.AutocastLower(w);
        using (Autograd.Autocast(DType.BFloat16)) second = Tensor.AutocastLower(w);
        Assert.NotSame(first, second);
        Assert.Equal(first.ToFloatArray(), second.ToFloatArray());
    }

    [Fact]
    public void OnlyFloat32LeavesThatRequireGradAndAreNotViewsAreCached()
    {
        var w = Weight(4, 4);
        var constant = Tensor.Randn(4, 4);                     // does not require grad
        var view = Tensor.Randn(4, 4).Transpose(0, 1);         // a leaf view
        view.RequiresGrad = true;
        var slice = Tensor.Randn(8, 4).Slice(0, 0, 4);
        slice.RequiresGrad = true;
        var wide = Tensor.Randn(4, 4).ToDType(DType.Float64);
        wide.RequiresGrad = true;
        var half = Tensor.Randn(4, 4).ToDType(DType.BFloat16);
        half.RequiresGrad = true;
        Assert.True(view.IsLeaf && view.IsView && slice.IsLeaf && slice.IsView);
        Assert.False(w.IsView);
        Assert.False(w.Detach().IsView);    // Detach is not a view (PyTorch's detach()._is_view() is False)
        using (Autograd.Autocast(DType.BFloat16))
        {
            var computed = w * 2f;                               // not a leaf
            Assert.NotSame(Tensor.AutocastLower(computed), Tensor.AutocastLower(computed));
            Assert.NotSame(Tensor.AutocastLower(constant), Tensor.AutocastLower(constant));
            Assert.NotSame(Tensor.AutocastLower(view), Tensor.AutocastLower(view));
            Assert.NotSame(Tensor.AutocastLower(slice), Tensor.AutocastLower(slice));
            // Float64 and BFloat16 operands are not cast at all.
            Assert.Same(wide, Tensor.AutocastLower(wide));
            Assert.Same(half, Tensor.AutocastLower(half));
            // The float32 list's casts are never cached.
            Assert.NotSame(Tensor.AutocastFloat32(half), Tensor.AutocastFloat32(half));
            Assert.Same(Tensor.AutocastLower(w), Tensor.AutocastLower(w));
        }
    }

    [Fact]
    public void CacheEnabledFalseCastsEveryTimeAndNestedScopesInheritIt()
    {
        var w = Weight(3, 4);
        Assert.True(Autograd.IsAutocastCacheEnabled);
        using (Autograd.Autocast(DType.BFloat16, cacheEnabled: false))
        {
            Assert.False(Autograd.IsAutocastCacheEnabled);
            Assert.True(Autograd.IsAutocastEnabled);
            Assert.NotSame(Tensor.AutocastLower(w), Tensor.AutocastLower(w));
            // PyTorch's cache_enabled=None: a nested scope keeps the outer setting unless it names one.
            using (Autograd.Autocast(DType.BFloat16))
            {
                Assert.False(Autograd.IsAutocastCacheEnabled);
                Assert.NotSame(Tensor.AutocastLower(w), Tensor.AutocastLower(w));
            }
            using (Autograd.Autocast(DType.BFloat16, cacheEnabled: true))
            {
                Assert.True(Autograd.IsAutocastCacheEnabled);
                Assert.Same(Tensor.AutocastLower(w), Tensor.AutocastLower(w));
            }
            Assert.False(Autograd.IsAutocastCacheEnabled);
        }
        Assert.True(Autograd.IsAutocastCacheEnabled);
    }

    [Fact]
    public void AnInPlaceUpdateInsideTheRegionIsNotSeenByTheCachedCopy()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }, 1, 2);
        var w = Tensor.FromArray(new[] { 0.5f, 0.25f }, 2, 1);
        w.RequiresGrad = true;
        using (Autograd.Autocast(DType.BFloat16))
        {
            Assert.Equal(new[] { 1f }, Tensor.Mm(x, w).ToFloatArray());
            using (Autograd.NoGrad()) w.MulInPlace(Tensor.Full(new[] { 2, 1 }, 2f));
            // PyTorch's cache has no invalidation: the stale copy (0.5, 0.25) is used.
            Assert.Equal(new[] { 1f }, Tensor.Mm(x, w).ToFloatArray());
            using (Autograd.Autocast(DType.BFloat16, enabled: false))
                Assert.Equal(new[] { 2f }, Tensor.Mm(x, w).ToFloatArray());    // not autocast: the updated weight
        }
        using (Autograd.Autocast(DType.BFloat16))
            Assert.Equal(new[] { 2f }, Tensor.Mm(x, w).ToFloatArray());        // a new region casts the new values
    }

    [Fact]
    public void NestedScopesShareTheOutermostRegionsCache()
    {
        var w = Weight(3, 4);
        Tensor outer;
        using (Autograd.Autocast(DType.BFloat16))
        {
            outer = Tensor.AutocastLower(w);
            using (Autograd.Autocast(DType.BFloat16))
                Assert.Same(outer, Tensor.AutocastLower(w));
            // A disabled scope is a nested scope too: disposing it does not clear the cache (only the outermost does).
            using (Autograd.Autocast(DType.BFloat16, enabled: false))
            {
                Assert.False(Autograd.IsAutocastEnabled);
                using (Autograd.Autocast(DType.BFloat16))
                    Assert.Same(outer, Tensor.AutocastLower(w));
            }
            Assert.Same(outer, Tensor.AutocastLower(w));
        }
        using (Autograd.Autocast(DType.BFloat16))
            Assert.NotSame(outer, Tensor.AutocastLower(w));
        // An outermost disabled scope opens a region as well (ATen counts every scope).
        using (Autograd.Autocast(DType.BFloat16, enabled: false))
        {
            Tensor inner;
            using (Autograd.Autocast(DType.BFloat16)) inner = Tensor.AutocastLower(w);
            using (Autograd.Autocast(DType.BFloat16)) Assert.Same(inner, Tensor.AutocastLower(w));
        }
    }

    [Fact]
    public void AnotherThreadHasItsOwnRegionAndAThreadStartedInsideSharesIt()
    {
        var w = Weight(3, 4);
        using (Autograd.Autocast(DType.BFloat16))
        {
            var mine = Tensor.AutocastLower(w);
            // A thread that does not inherit this flow's state (as one started outside the region).
            Tensor? theirs = null, theirsAgain = null;
            bool theirsEnabled = true;
            Thread other;
            using (ExecutionContext.SuppressFlow())
            {
                other = new Thread(() =>
                {
                    theirsEnabled = Autograd.IsAutocastEnabled;
                    using (Autograd.Autocast(DType.BFloat16))
                    {
                        theirs = Tensor.AutocastLower(w);
                        theirsAgain = Tensor.AutocastLower(w);
                    }
                });
                other.Start();
            }
            other.Join();
            Assert.False(theirsEnabled);
            Assert.NotNull(theirs);
            Assert.NotSame(mine, theirs);
            Assert.Same(theirs, theirsAgain);
            // Its region's end did not clear this one.
            Assert.Same(mine, Tensor.AutocastLower(w));

            // A thread started inside the region inherits autocast, and the region's cache with it.
            Tensor? inherited = null;
            var child = new Thread(() => inherited = Tensor.AutocastLower(w));
            child.Start();
            child.Join();
            Assert.Same(mine, inherited);
        }
    }

    [Fact]
    public void AThreadThatOutlivesItsRegionCastsAfresh()
    {
        var w = Weight(3, 4);
        var regionClosed = new ManualResetEventSlim();
        Tensor? first = null, second = null, ownFirst = null, ownSecond = null;
        Thread child;
        Tensor mine;
        using (Autograd.Autocast(DType.BFloat16))
        {
            mine = Tensor.AutocastLower(w);
            child = new Thread(() =>
            {
                regionClosed.Wait();
                // Still autocast (the state it inherited), but the region it inherited is closed: nothing is cached.
                first = Tensor.AutocastLower(w);
                second = Tensor.AutocastLower(w);
                using (Autograd.Autocast(DType.BFloat16))
                {
                    ownFirst = Tensor.AutocastLower(w);
                    ownSecond = Tensor.AutocastLower(w);
                }
            });
            child.Start();
        }
        regionClosed.Set();
        child.Join();
        Assert.Equal(DType.BFloat16, first!.DType);
        Assert.NotSame(mine, first);
        Assert.NotSame(first, second);
        Assert.NotSame(first, ownFirst);
        Assert.Same(ownFirst, ownSecond);
    }

    [Fact]
    public void GradientsFromBothUsesOfACachedCastReachTheWeight()
    {
        // Multiples of 1/8: exact in BFloat16, and these products and sums are exact in float32.
        var x1 = Tensor.FromArray(new[] { 1f, 0.5f, -2f, 0.25f, 1.5f, -1f }, 2, 3);
        var x2 = Tensor.FromArray(new[] { -0.5f, 2f, 1f, 0.125f, -1f, 3f }, 2, 3);
        var w = Tensor.FromArray(new[] { 0.5f, -1f, 0.25f, 2f, -0.75f, 1f }, 3, 2);
        w.RequiresGrad = true;
        Tensor y;
        using (Autograd.Autocast(DType.BFloat16))
        {
            y = Tensor.Mm(x1, w) + Tensor.Mm(x2, w);
            Assert.Equal(DType.BFloat16, y.DType);
        }
        y.Sum().Backward();
        Assert.Equal(DType.Float32, w.Grad!.DType);
        // d/dw sum(x1 w + x2 w) = (x1 + x2)ᵀ · ones.
        var expected = Tensor.Mm((x1 + x2).Transpose(0, 1), Tensor.Ones(2, 2));
        Assert.Equal(expected.ToFloatArray(), w.Grad.ToFloatArray());

        // A second backward of a new region's graph accumulates into the same Grad.
        using (Autograd.Autocast(DType.BFloat16)) y = Tensor.Mm(x1, w) + Tensor.Mm(x2, w);
        y.Sum().Backward();
        Assert.Equal((expected * 2f).ToFloatArray(), w.Grad!.ToFloatArray());
    }

    [Fact]
    public void TheTwoUsesGradientsAddInBFloat16AtTheSharedCast()
    {
        // With the cache, both uses feed one ToCopyBackward: their BFloat16 gradients 256 and 1 add in BFloat16
        // (257 rounds to even, 256) before the cast back to Float32, as in PyTorch. Without it each use has its own
        // cast and the Float32 leaf adds 256 + 1 exactly.
        float GradOfW(bool cache)
        {
            var w = Tensor.FromArray(new[] { 1f }, 1, 1);
            w.RequiresGrad = true;
            Tensor y;
            using (Autograd.Autocast(DType.BFloat16, cacheEnabled: cache))
                y = Tensor.Mm(Tensor.FromArray(new[] { 256f }, 1, 1), w) + Tensor.Mm(Tensor.FromArray(new[] { 1f }, 1, 1), w);
            y.Sum().Backward();
            return w.Grad!.Item();
        }
        Assert.Equal(256f, GradOfW(cache: true));
        Assert.Equal(257f, GradOfW(cache: false));
    }

    [Fact]
    public void ACastCachedWithoutGradientsStaysWithoutThemInTheRegion()
    {
        // PyTorch's cache ignores the grad mode: a copy first made under no_grad has no graph, and later uses in the
        // region get it, so the weight receives no gradient from them.
        var w = Weight(3, 4);
        var x = Tensor.Randn(2, 3);
        using (Autograd.Autocast(DType.BFloat16))
        {
            using (Autograd.NoGrad()) Tensor.Mm(x, w);
            var y = Tensor.Mm(x, w);
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        using (Autograd.Autocast(DType.BFloat16))
            Assert.Equal("MmBackward", Tensor.Mm(x, w).GradFn);
    }

    [Fact]
    public void ALinearLayerAppliedTwiceSharesOneCastOfItsWeight()
    {
        var layer = new Linear(4, 4);
        var x = Tensor.Randn(2, 4);
        Tensor twice, once;
        using (Autograd.Autocast(DType.BFloat16))
        {
            twice = layer.Forward(layer.Forward(x));
            Assert.Same(Tensor.AutocastLower(layer.Weight), Tensor.AutocastLower(layer.Weight));
        }
        using (Autograd.Autocast(DType.BFloat16, cacheEnabled: false)) once = layer.Forward(layer.Forward(x));
        // Same values either way: the cached copy is the same rounding.
        Assert.Equal(once.ToFloatArray(), twice.ToFloatArray());
        Assert.Equal(DType.BFloat16, twice.DType);
    }
}
