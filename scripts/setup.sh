#!/usr/bin/env bash
# Installs what ServerlessMed needs on a machine with the .NET SDK, Node and apt. Idempotent: each step is
# skipped when its result is already there. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian tools: DCMTK, dicom3tools, GDCM (independent DICOM checks), pydicom/onnx/numpy (test models and
# reference checks), the codec libraries the pixel decoders load, Tesseract OCR (burned-in text detection) and
# the DejaVu fonts the tests draw text with.
apt_packages=(dcmtk dicom3tools libgdcm-tools python3-pydicom python3-onnx python3-numpy libturbojpeg0 libopenjp2-7 libopenjp2-tools libcharls2 tesseract-ocr libtesseract5 tesseract-ocr-eng fonts-dejavu-core zip)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Azurite, pinned in package.json / package-lock.json, into the repository's node_modules.
if [ ! -f "$repo/node_modules/azurite/dist/src/azurite.js" ] || [ "$repo/package-lock.json" -nt "$repo/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci (Azurite)" >&2
  (cd "$repo" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# The tiny deterministic ONNX models used by the demo and the tests.
if [ ! -f "$repo/models/diffusion/tiny-sd/model_index.json" ] || [ "$repo/scripts/make-test-models.py" -nt "$repo/models/diffusion/tiny-sd/model_index.json" ]; then
  /usr/bin/python3 "$repo/scripts/make-test-models.py" "$repo/models" >&2
fi
