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

    [Fact]
    public void Zero_stages_match_ddp_shard_the_state_and_resume_on_other_world_sizes()
    {
        var checkpoint = Path.Combine(Path.GetTempPath(), $"shapesafe-zero-{Guid.NewGuid():N}.safetensors");
        try
        {
            var job = MpiJob.Run(2, "zero", checkpoint);
            job.AssertPassed(2, "zero");
            // "whole W stage1 S stage2 S ...": exp_avg and exp_avg_sq in halves, one step scalar per rank.
            var bytes = job.Lines(0, "state-bytes").Single().Split(' ');
            long whole = long.Parse(bytes[1], CultureInfo.InvariantCulture), stage1 = long.Parse(bytes[3], CultureInfo.InvariantCulture);
            Assert.Equal(1748, stage1);
            Assert.Equal(3504, whole);
            // 435 parameters: stage 2 keeps the 218 of its shard (872 bytes), stage 1 all 1,740 bytes and its shard's.
            Assert.Equal("whole 1740 stage1 2612 stage2 872", job.Lines(0, "gradient-bytes").Single());
            Assert.True(File.Exists(checkpoint));

            foreach (int ranks in new[] { 3, 0 })
            {
                var resumed = MpiJob.Run(ranks, "resume", checkpoint);
                resumed.AssertPassed(ranks, "resume");
            }
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + ".expected");
        }
    }

    [Fact]
    public void Zero_on_four_ranks_keeps_a_quarter_of_the_optimizer_state_and_of_the_gradient()
    {
        var checkpoint = Path.Combine(Path.GetTempPath(), $"shapesafe-zero4-{Guid.NewGuid():N}.safetensors");
        try
        {
            var job = MpiJob.Run(4, "zero", checkpoint);
            job.AssertPassed(4, "zero");
            // 435 parameters in shards of 109: Adam's two moments (2 × 4 × 109 bytes) and one step scalar per rank.
            Assert.Equal("whole 3504 stage1 876 stage2 876 shard-elements 109 parameters 435", job.Lines(0, "state-bytes").Single());
            Assert.Equal("whole 1740 stage1 2176 stage2 436", job.Lines(0, "gradient-bytes").Single());
        }
        finally
        {
            File.Delete(checkpoint);
            File.Delete(checkpoint + ".expected");
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
