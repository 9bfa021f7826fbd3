#!/usr/bin/env bash
# Builds the ingest Functions app's deployment package: `dotnet publish` for linux-x64 (the Flex Consumption plan
# runs Linux; one runtime's native libraries, not every platform's), zipped with the generated functions.metadata,
# worker.config.json and .azurefunctions/ at the root, as the Functions host expects.
#   scripts/package-functions.sh [OUT_DIR]     (default: out/functions) -> OUT_DIR/serverlessmed-functions.zip
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$repo/out/functions}" && cd "${1:-$repo/out/functions}" && pwd)"
publish="$out/publish"
rm -rf "$publish" "$out/serverlessmed-functions.zip"
dotnet publish "$repo/functions/ServerlessMed.Functions" -c Release -r linux-x64 --self-contained false -nologo -v q -clp:ErrorsOnly -o "$publish" >&2
for required in functions.metadata worker.config.json host.json .azurefunctions ServerlessMed.Functions.dll; do
  [ -e "$publish/$required" ] || { echo "package-functions: the published output has no $required" >&2; exit 1; }
done
(cd "$publish" && zip -q -r -X "$out/serverlessmed-functions.zip" .)
echo "$out/serverlessmed-functions.zip"
