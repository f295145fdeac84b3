#!/usr/bin/env bash
# Builds and runs the LibTorch conformance report: every case's largest relative error in outputs and gradients.
#   benchmarks/ShapeSafe.Conformance/run.sh [--filter substring]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$here/ShapeSafe.Conformance.csproj" -c Release -nologo -v q >&2
export TERM=dumb
exec dotnet "$here/bin/Release/net10.0/linux-x64/ShapeSafe.Conformance.dll" "$@"
