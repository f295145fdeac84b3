using System.Globalization;
using ShapeSafe.Distributed.Tests;

namespace ShapeSafe.Training.Tests;

/// <summary>The Trainer under mpirun through DistributedStrategy: the same results as one process, files from rank 0 only.</summary>
[Trait("Category", "Distributed")]
public sealed class DistributedTrainerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("trainer-mpi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Rank <paramref name="rank"/>'s parameters and metrics against the single-process run it made on the whole batch.</summary>
    static void AssertMatchesSingleProcess(MpiJob.Result job, int rank)
    {
        Assert.True(float.Parse(job.Lines(rank, "trainer-vs-single max-abs-difference").Single(), CultureInfo.InvariantCulture) < 1e-5f);
        Assert.True(double.Parse(job.Lines(rank, "trainer-vs-single metrics max-relative-difference").Single(), CultureInfo.InvariantCulture) < 1e-5);
    }

    [Fact]
    public void Two_ranks_train_as_one_process_on_the_whole_batch_and_only_rank_0_writes()
    {
        var job = MpiJob.Run(2, "trainer", _dir);
        job.AssertPassed(2, "trainer");
        for (int r = 0; r < 2; r++)
        {
            AssertMatchesSingleProcess(job, r);
            // 64 samples in global batches of 16: 4 steps an epoch.
            Assert.Equal($"3 steps 12 main {(r == 0 ? "True" : "False")}", job.Lines(r, "epochs").Single());
        }
        string main = Path.Combine(_dir, "rank0");
        foreach (var file in new[] { "last.safetensors", "best.safetensors", "metrics.csv", "loss.png", "accuracy.png", "lr.png" })
            Assert.True(File.Exists(Path.Combine(main, file)), file);
        Assert.Single(Directory.GetFiles(Path.Combine(main, "runs"), "events.out.tfevents.*", SearchOption.AllDirectories));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(main, "metrics.csv")).Length);
        Assert.False(Directory.Exists(Path.Combine(_dir, "rank1")));
    }

    [Fact]
    public void Two_ranks_train_a_compiled_model_as_one_eager_process()
    {
        // The distributed run trains each rank's compiled graph; the reference is eager, on the whole batch.
        var job = MpiJob.Run(2, "trainer-compiled", _dir);
        job.AssertPassed(2, "trainer-compiled");
        for (int r = 0; r < 2; r++)
        {
            AssertMatchesSingleProcess(job, r);
            // Local training batches of 8 and validation batches of 8 (16 per rank: two full batches): two plans.
            Assert.Equal("True plans 2 eager-calls 0", job.Lines(r, "compiled").Single());
        }
    }
}
