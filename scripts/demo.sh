#!/usr/bin/env bash
# The main job: set up (idempotent), then run `smed demo` on a private Azurite. Extra arguments go to smed demo.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
cd "$repo"
dotnet build src/ServerlessMed.Cli -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
exec dotnet src/ServerlessMed.Cli/bin/Release/net10.0/smed.dll demo "$@"
