#!/usr/bin/env bash
# Generation pipeline overhead: pipeline wall time over the sum of raw ONNX Runtime session times, per scheduler
# (goal: scheduler + glue <= 3%), denoising steps/s, and images/s at 1 vs 4 images per UNet batch.
#   bench/generation-glue.sh [MODEL_DIR] [STEPS] [REPEATS] [Auto|Cpu|Cuda]
# Default model: models/diffusion/bench-sd (64x64 latents, a 64-channel conv stack: session time dominates as in
# real models; made by scripts/make-test-models.py). Point MODEL_DIR at a real optimum export to measure that.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:-$repo/models/diffusion/bench-sd}"
[ -f "$model/model_index.json" ] || /usr/bin/python3 "$repo/scripts/make-test-models.py" >/dev/null
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- generate "$model" "${2:-20}" "${3:-5}" "${4:-Auto}"
