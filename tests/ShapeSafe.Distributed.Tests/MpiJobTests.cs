using System.Globalization;

namespace ShapeSafe.Distributed.Tests;

/// <summary>
/// Jobs of the test worker under mpirun: collectives against their definitions, DDP against single-process training,
/// ZeRO against DDP, checkpoints resumed on other world sizes, and jobs that lose a rank.
/// </summary>
[Trait("Category", "Distributed")]
public class MpiJobTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Every_collective_matches_its_definition(int ranks)
    {
        var job = MpiJob.Run(ranks, "collectives");
        job.AssertPassed(ranks, "collectives");
        Assert.Contains($"rank {ranks - 1} [4, 2]", job.Lines(0, "mismatch message:").Single());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Ddp_trains_as_one_process_on_the_whole_batch_and_bitwise_alike_on_every_rank(int ranks)
    {
        var job = MpiJob.Run(ranks, "ddp");
        job.AssertPassed(ranks, "ddp");
        for (int r = 0; r < ranks; r++)
        {
            Assert.True(float.Parse(job.Lines(r, "ddp-vs-single max-abs-difference").Single(), CultureInfo.InvariantCulture) < 1e-5f);
            Assert.Equal(job.Lines(0, "fingerprint").Single(), job.Lines(r, "fingerprint").Single());
        }
        var again = MpiJob.Run(ranks, "ddp");
        again.AssertPassed(ranks, "ddp");
        Assert.Equal(job.Lines(0, "fingerprint").Single(), again.Lines(0, "fingerprint").Single());
    }

    [Fact]
    public void Ddp_all_reduces_buckets_on_its_communication_thread_while_the_backward_runs()
    {
        var job = MpiJob.Run(2, "overlap");
        job.AssertPassed(2, "overlap");
        Assert.Matches(@"^[1-4] of 4 \(communication thread True\)$", job.Lines(0, "overlapped buckets").Single());
    }

    [Fact]
    public void A_parameter_without_gradient_is_named_and_find_unused_parameters_averages_the_rest()
    {
        var job = MpiJob.Run(2, "unused");
        job.AssertPassed(2, "unused");
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal(
                "DistributedDataParallel: expected to have finished reduction in the prior iteration before starting a new one. " +
                "This error indicates that your module has parameters that were not used in producing loss. " +
                "You can enable unused parameter detection by passing findUnusedParameters: true to DistributedDataParallel, and by making sure all forward outputs participate in calculating loss." +
                $" | Parameters which did not receive grad for rank {r}: extra.weight, extra.bias" +
                $" | Parameter indices which did not receive grad for rank {r}: 4 5",
                job.Lines(r, "unused message:").Single());
            Assert.True(float.Parse(job.Lines(r, "unused-everywhere max-abs-difference").Single(), CultureInfo.InvariantCulture) < 1e-5f);
            Assert.True(float.Parse(job.Lines(r, "unused-on-some-ranks max-abs-gradient-difference").Single(), CultureInfo.InvariantCulture) < 1e-6f);
        }
    }

    // 435 parameters, Adam. Optimizer state: two moments of a shard (218 elements on 2 ranks, 109 on 4) and one step
    // scalar per rank. Gradients after a step: stage 2 keeps its shard's alone, stage 1 all 1,740 bytes and its shard's.
    [Theory]
    [InlineData(2, "whole 3504 stage1 1748 stage2 1748 shard-elements 218 parameters 435", "whole 1740 stage1 2612 stage2 872", new[] { 3, 0 })]
    [InlineData(4, "whole 3504 stage1 876 stage2 876 shard-elements 109 parameters 435", "whole 1740 stage1 2176 stage2 436", new int[0])]
    public void Zero_stages_match_ddp_keep_a_shard_of_state_and_gradient_and_resume_on_other_world_sizes(int ranks, string stateBytes, string gradientBytes, int[] resumeOn)
    {
        var checkpoint = Path.Combine(Path.GetTempPath(), $"shapesafe-zero-{Guid.NewGuid():N}.safetensors");
        try
        {
            var job = MpiJob.Run(ranks, "zero", checkpoint);
            job.AssertPassed(ranks, "zero");
            Assert.Equal(stateBytes, job.Lines(0, "state-bytes").Single());
            Assert.Equal(gradientBytes, job.Lines(0, "gradient-bytes").Single());
            Assert.True(File.Exists(checkpoint));
            foreach (int other in resumeOn)
                MpiJob.Run(other, "resume", checkpoint).AssertPassed(other, "resume");
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + ".expected");
        }
    }

    [Fact]
    public void The_fashion_mnist_sample_trains_under_mpirun_without_a_flag()
    {
        var output = Path.Combine(Path.GetTempPath(), $"shapesafe-sample-{Guid.NewGuid():N}");
        try
        {
            var job = MpiJob.RunSample(2, "--model", "mlp", "--epochs", "1", "--limit", "1024", "--plain", "--out", output);
            Assert.True(job.ExitCode == 0, job.Output);
            Assert.Contains("batch 64 per rank on 2 ranks", job.Output);
            // 1,024 images over 2 ranks in batches of 64; only rank 0 reports and writes.
            Assert.Single(job.Output.Split('\n'), l => l.Contains("epoch 1: 8 batches", StringComparison.Ordinal));
            Assert.Single(job.Output.Split('\n'), l => l.Contains("epoch 1: train loss", StringComparison.Ordinal));
            Assert.True(File.Exists(Path.Combine(output, "last.safetensors")));
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void A_process_launched_for_mpi_without_the_library_says_how_to_install_it()
    {
        // mpirun's environment, but a library that is not there.
        var job = MpiJob.Run(0, new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2", ["SHAPESAFE_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40" }, "collectives");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("ShapeSafe.Distributed.DistributedException: this process was started by mpirun but the MPI library could not be loaded (tried /nonexistent/libmpi.so.40); install Open MPI", job.Output);
    }

    [Fact]
    public void A_rank_that_throws_ends_the_job_with_its_message()
    {
        var job = MpiJob.Run(3, "raise");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1 of 3 ends the job: unhandled exception: System.InvalidOperationException: rank 1 gave up on purpose", job.Output);
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(60), job.Elapsed.ToString());
    }

    [Fact]
    public void A_killed_rank_ends_the_job()
    {
        var job = MpiJob.Run(3, "kill");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1", job.Output);
        Assert.Contains("signal 9", job.Output);
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(60), job.Elapsed.ToString());
    }

    [Fact]
    public void A_collective_that_waits_past_the_timeout_names_the_missing_rank()
    {
        var job = MpiJob.Run(3, "late", "2");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("AllReduce (collective call #2) timed out after 2 s on rank 0: rank 2 of 3 did not arrive", job.Output);
        // The late rank sleeps 60 s: the job ends well before it wakes (start-up on a loaded machine takes seconds).
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(50), job.Elapsed.ToString());
    }
}
