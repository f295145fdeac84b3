#!/usr/bin/env bash
# Side-by-side figures: ShapeSafe and LibTorch (../shared/torchref) measured in the same run.
#   benchmarks/run.sh [--quick] [--fashion-epochs N]
# Prints one table: the figure, ShapeSafe's, LibTorch's and the ratio (higher is better for ShapeSafe).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
torchref="$root/../shared/torchref/run.sh"
quick=0; fashion_epochs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --fashion-epochs) fashion_epochs="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$root/benchmarks/ShapeSafe.Benchmarks" -c Release -nologo -v q >&2
bench=(dotnet "$root/benchmarks/ShapeSafe.Benchmarks/bin/Release/net10.0/ShapeSafe.Benchmarks.dll")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

sizes="128,256,512,1024,2048"
[ "$quick" = 1 ] && sizes="256,1024"
for t in 1 2; do
  "${bench[@]}" gemm --threads "$t" --sizes "$sizes" --json >>"$out/ours.jsonl"
  # The public calls on fresh outputs (Tensor.Mm pairs with torch.mm), beside the kernel alone.
  "${bench[@]}" api --threads "$t" --sizes "$sizes" --json >>"$out/ours.jsonl"
  "$torchref" matmul --threads "$t" --sizes "$sizes" --json >>"$out/theirs.jsonl"
done
"${bench[@]}" overhead --json >>"$out/ours.jsonl"
"$torchref" overhead --json >>"$out/theirs.jsonl"
for m in mlp mlpbig cnn; do
  for t in 1 2; do
    "${bench[@]}" train --model "$m" --threads "$t" --json >>"$out/ours.jsonl"
    "${bench[@]}" train --model "$m" --threads "$t" --compiled --json >>"$out/ours.jsonl"
    "$torchref" train --model "$m" --threads "$t" --json >>"$out/theirs.jsonl"
  done
done
if [ "$quick" = 0 ] && [ -d /usr/share/datasets/fashion-mnist ]; then
  "${bench[@]}" fashion --epochs "$fashion_epochs" --threads 2 --json >>"$out/ours.jsonl"
  "$torchref" fashion --epochs "$fashion_epochs" --threads 2 --json >>"$out/theirs.jsonl"
fi
python3 "$root/benchmarks/table.py" "$out/ours.jsonl" "$out/theirs.jsonl"
