#!/usr/bin/env bash
# Small and mid-size square products at 1 and 2 threads: the GEMM kernel (`gemm`), Tensor.Mm (`api --ops mm`) and
# LibTorch's torch.mm (torchref `matmul`), in alternating rounds so that a shared machine's load falls on all alike.
#   benchmarks/mm-small.sh [--rounds N] [--sizes 64,96,...] [--threads 1,2] [--baseline DIR] [--no-torch]
# --baseline DIR: also run another build's ShapeSafe.Benchmarks (a copy of its bin/Release/net10.0), as "before".
# Prints one markdown table: GFLOP/s, best of all rounds / median of the rounds' medians; load average per round.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
torchref="$root/../shared/torchref/run.sh"
rounds=3; sizes="64,96,128,192,256,384,512,1024"; threads="1,2"; baseline=""; torch=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --baseline) baseline="$2"; shift ;;
    --no-torch) torch=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$root/benchmarks/ShapeSafe.Benchmarks" -c Release -nologo -v q >&2
after="$root/benchmarks/ShapeSafe.Benchmarks/bin/Release/net10.0/ShapeSafe.Benchmarks.dll"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One round: every build and LibTorch once at each thread count, one after the other; rows tagged with build and round.
run() { # tag dll
  local tag="$1" dll="$2" t="$3" r="$4"
  { dotnet "$dll" gemm --threads "$t" --sizes "$sizes" --json
    dotnet "$dll" api --threads "$t" --ops mm --sizes "$sizes" --json; } |
    sed "s/^{/{\"build\":\"$tag\",\"round\":$r,/" >>"$out/rows.jsonl"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r: $(uptime)" >&2
  for t in ${threads//,/ }; do
    [ -n "$baseline" ] && run before "$baseline/ShapeSafe.Benchmarks.dll" "$t" "$r"
    run after "$after" "$t" "$r"
    if [ "$torch" = 1 ]; then
      "$torchref" matmul --threads "$t" --sizes "$sizes" --json | sed "s/^{/{\"build\":\"libtorch\",\"round\":$r,/" >>"$out/rows.jsonl"
    fi
  done
done
echo "end: $(uptime)" >&2

python3 - "$out/rows.jsonl" <<'EOF'
import json, sys, statistics
from collections import defaultdict
best, med = defaultdict(float), defaultdict(list)
for line in open(sys.argv[1]):
    if not line.startswith('{'):
        continue
    r = json.loads(line)
    what = 'torch.mm' if r['build'] == 'libtorch' else ('kernel' if r['bench'] == 'matmul' else 'Tensor.Mm')
    key = (r['threads'], r['n'], r['build'], what)
    best[key] = max(best[key], r['gflops_best'])
    med[key].append(r['gflops_median'])
cols = sorted({(k[2], k[3]) for k in best}, key=lambda c: (['before', 'after', 'libtorch'].index(c[0]), c[1]))
print('| threads | n | ' + ' | '.join(f'{b} {w}' for b, w in cols) + ' |')
print('|---|---:|' + '---:|' * len(cols))
for t, n in sorted({(k[0], k[1]) for k in best}):
    cells = [f'{best[(t, n) + c]:.1f} / {statistics.median(med[(t, n) + c]):.1f}' if (t, n) + c in best else '' for c in cols]
    print(f'| {t} | {n} | ' + ' | '.join(cells) + ' |')
EOF
