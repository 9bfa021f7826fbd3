#!/usr/bin/env bash
# Embedding stage cost: our encoder path (EncodeAll over pooled pinned buffers; the cross-instance batcher with 8
# concurrent callers) over a plain ONNX Runtime session run on the same preprocessed tensors, per test encoder
# (tiny-gray, and the HAI-DEF-shaped path-like, derm-like, cxr-like), at batch 1 and 8 (goal: ratio <= 1.15);
# batch 8 over batch 1 throughput; preprocessing per frame shown apart.
#   bench/embedding-stage.sh [FRAMES] [REPEATS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$repo/models/encoders/cxr-like/model.json" ] || /usr/bin/python3 "$repo/scripts/make-test-models.py" >/dev/null
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- embed "$repo/models" "${1:-64}" "${2:-5}"
