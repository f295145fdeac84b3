#!/usr/bin/env bash
# Training throughput across processes against threads in one process, on this machine:
#   benchmarks/distributed.sh [--seconds S]
# One JSON line per (model, mode): samples/s of a step on the same global batch, and for DDP the all-reduce time
# of the gradients alone, the fraction of it that the backward hid and the per-step costs of DDP around it (bucket
# copies, averaging). Needs Open MPI (mpirun).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=4
[ "${1:-}" = "--seconds" ] && seconds="$2"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dotnet build "$root/benchmarks/ShapeSafe.Distributed.Benchmarks" -c Release -nologo -v q >&2
bench=(dotnet "$root/benchmarks/ShapeSafe.Distributed.Benchmarks/bin/Release/net10.0/ShapeSafe.Distributed.Benchmarks.dll")
# Shared memory between the ranks, nothing on the network.
mpi=(mpirun --oversubscribe --bind-to none --mca btl self,vader --mca oob_tcp_if_include lo)
for model in mlpbig cnn; do
  "${bench[@]}" --model "$model" --mode single --seconds "$seconds"
  "${bench[@]}" --model "$model" --mode threads --threads 2 --seconds "$seconds"
  "${bench[@]}" --model "$model" --mode dataparallel --threads 2 --seconds "$seconds"
  "${mpi[@]}" -np 2 "${bench[@]}" --model "$model" --mode ddp --seconds "$seconds"
done
