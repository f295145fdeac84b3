"""Pairs ShapeSafe's and LibTorch's benchmark rows and prints the ratio table (used by run.sh)."""
import json
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def key(r, bench=None):
    return (bench or r["bench"], r.get("n"), r.get("model"), r.get("threads"))


# ShapeSafe rows measured against another LibTorch row: the GEMM kernel alone ("matmul") and the public
# Tensor.Mm both against torch.mm on fresh outputs. Rows with no LibTorch counterpart print without a ratio.
PAIRED = {"Tensor.Mm": "matmul"}


# For each benchmark: the figure compared, and whether higher is better.
FIGURES = {
    "matmul": ("gflops_best", True),
    "Tensor.Mm": ("gflops_best", True),
    "Tensor.Matmul": ("gflops_best", True),
    "F.Linear": ("gflops_best", True),
    "F.Conv2d": ("gflops_best", True),
    "tiny-add": ("us_best", False),
    "train": ("samples_per_s_best", True),
    "fashion-cnn": ("seconds_per_epoch", False),
}

# A compiled row (train --compiled) is matched with LibTorch's row of the same workload.
ours = {key(r) + (r.get("compiled", False),): r for r in rows(sys.argv[1])}
theirs = {key(r): r for r in rows(sys.argv[2])}
print(f"{'benchmark':<28}{'figure':<20}{'ShapeSafe':>12}{'LibTorch':>12}{'ratio':>8}")
for k, r in ours.items():
    t = theirs.get(key(r, PAIRED.get(r["bench"])))
    figure, higher = FIGURES[r["bench"]]
    label = ("gemm kernel" if r["bench"] == "matmul" else r["bench"]) + "".join(f" {x}" for x in (k[1], k[2]) if x is not None) + (" compiled" if k[4] else "") + f" t{k[3]}"
    a = r[figure]
    if t is None:
        print(f"{label:<28}{figure:<20}{a:>12.4g}{'-':>12}{'-':>8}")
        continue
    b = t[figure]
    ratio = a / b if higher else b / a
    print(f"{label:<28}{figure:<20}{a:>12.4g}{b:>12.4g}{ratio:>8.2f}")
    if r["bench"] == "fashion-cnn":
        print(f"{'  test accuracy':<48}{r['test_accuracy']:>12.4f}{t['test_accuracy']:>12.4f}")
