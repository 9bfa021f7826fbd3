#!/usr/bin/env bash
# Pipeline load on Azurite: COUNT instances (corpus images re-stamped with fresh UIDs) uploaded while a runner
# (local event source + ingest: de-identify, encode with the test encoder) processes them; prints instances/s and
# p50/p95 upload→embedding latency; the storage requests per instance by kind (counted by an Azure.Core policy on the
# clients: Storage/RequestCounter.cs), and Azurite's own ceiling for that request mix (replayed by a plain request loop
# in the same run: same clients, concurrency and payload sizes) with the ratio pipeline / ceiling (goal >= 0.8).
#   bench/pipeline-load.sh [COUNT]     (default 1000)
#   SMED_BENCH_SPLIT_AZURITE=1 bench/pipeline-load.sh   blobs and queues served by two Azurite processes
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$repo/node_modules/.bin/azurite" ] || (cd "$repo" && npm ci --silent)
[ -f "$repo/models/encoders/tiny-gray/model.json" ] || /usr/bin/python3 "$repo/scripts/make-test-models.py" >/dev/null
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- pipeline-load "${1:-1000}" "$repo/models"
