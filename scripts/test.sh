#!/usr/bin/env bash
# The whole test suite: set up (idempotent), build with warnings as errors, run every test project, and end
# with one line of totals summed over all test projects: "N passed, N failed, N skipped".
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh" || exit 1
set +e  # setup.sh runs with -e; the test run must reach the totals line even when tests fail
cd "$repo"
log="$(mktemp)"
# The GPU worker as its image builds it (ONNX Runtime's Linux CUDA package, into bin-gpu/): the Hosts tests run it.
echo "test: building the GPU worker flavour (-p:OrtFlavor=Gpu)"
dotnet build gpu-worker/ServerlessMed.GpuWorker -c Release -p:OrtFlavor=Gpu -nologo -v q -clp:ErrorsOnly 2>&1 | tee "$log"
gpu_status=${PIPESTATUS[0]}
dotnet test --solution ServerlessMed.sln -c Release --no-progress --output Normal 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ $gpu_status -ne 0 ] && status=$gpu_status
# Microsoft.Testing.Platform prints one summary for the whole run: total / failed / succeeded / skipped.
summary=$(awk '/^Test run summary/{found=1} found && /^[[:space:]]+(failed|succeeded|skipped):/{gsub(/[[:space:]]/,""); split($0,a,":"); v[a[1]]=a[2]} END{printf "%d passed, %d failed, %d skipped", v["succeeded"], v["failed"], v["skipped"]}' "$log")
rm -f "$log"
if [ $status -ne 0 ] && [ "$summary" = "0 passed, 0 failed, 0 skipped" ]; then
  echo "build or test run failed before any test ran (exit $status)"
fi
echo "$summary"
exit $status
