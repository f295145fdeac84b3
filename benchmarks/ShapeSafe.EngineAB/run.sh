#!/usr/bin/env bash
# A/B timing of two engine builds in one process: the base revision's engine against this working tree's.
#   benchmarks/ShapeSafe.EngineAB/run.sh BASE_REV [rounds] [reps]      (e.g. run.sh main 40 10)
# The base revision is exported with `git archive` into a scratch folder and built there; the steps timed are
# Timing/Steps.cs (F.Conv2d forward+backward, Float32 and BFloat16, one thread), compiled against each engine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
base_rev="${1:?usage: run.sh BASE_REV [rounds] [reps]}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive "$base_rev" | tar -x -C "$work"
dotnet build "$work/engine/ShapeSafe/ShapeSafe.csproj" -c Release -nologo -v q >&2
dotnet build "$repo/engine/ShapeSafe/ShapeSafe.csproj" -c Release -nologo -v q >&2
for side in base new; do
    engine="$repo/engine/ShapeSafe/bin/Release/net10.0"
    [ "$side" = base ] && engine="$work/engine/ShapeSafe/bin/Release/net10.0"
    dotnet build "$here/Timing/ShapeSafe.EngineAB.Timing.csproj" -c Release -nologo -v q -p:EngineDir="$engine" \
        -o "$work/$side" -p:BaseIntermediateOutputPath="$work/obj-$side/" >&2
    cp "$engine"/ShapeSafe*.dll "$work/$side/"
done
dotnet build "$here/Host/ShapeSafe.EngineAB.csproj" -c Release -nologo -v q -o "$work/host" >&2
dotnet "$work/host/ShapeSafe.EngineAB.dll" "$work/base" "$work/new" "${@:2}"
