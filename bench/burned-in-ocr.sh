#!/usr/bin/env bash
# What burned-in text detection (Tesseract OCR on the rendered frames) costs per image, by image size: each case is
# de-identified under the default policy and with burnedIn.detect none, best of REPEATS, in one process. Reports CPU
# ms (OCR is single-threaded, OMP_THREAD_LIMIT=1, so CPU time is its cost on a shared machine too), wall ms, OCR ms
# per scanned frame and the ratio to de-identification without OCR. Cases: text-free speckle the bench builds
# (control cost) and the corpus ultrasound images (most carry real burned-in text, which is masked).
#   bench/burned-in-ocr.sh [REPEATS]     (default 3)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- burned-in "${1:-3}"
