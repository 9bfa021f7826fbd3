#!/usr/bin/env bash
# Pipeline load on Azurite: COUNT instances (corpus images re-stamped with fresh UIDs) uploaded while a runner
# (local event source + ingest: de-identify, encode with the test encoder) processes them; prints instances/s and
# p50/p95 upload→embedding latency; the storage requests per instance by kind (counted by an Azure.Core policy on the
# clients: Storage/RequestCounter.cs) and the CPU per instance of this process and of Azurite; then Azurite's own
# ceiling for the same workload, measured in the same run by a plain request loop on a fresh Azurite
# (WorkflowReplay.cs: the run's requests per instance in the run's shape, with its backlog of uploads, and no
# de-identification or encoding; a run's ceiling is the better of the replays before and after it), and the ratio
# pipeline / ceiling per round and its median over the rounds (goal >= 0.8);
# and, for comparison only, the same request kinds as a flat loop with no backlog (StorageCeiling.cs).
#   bench/pipeline-load.sh [COUNT]     (default 1000)
#   SMED_BENCH_SPLIT_AZURITE=1 bench/pipeline-load.sh   blobs and queues served by two Azurite processes
#   SMED_BENCH_POLICY=FILE, SMED_BENCH_INGEST_CONCURRENCY=N   the tenant policy / instances in flight of the run
#   SMED_AZURITE_CPU_PROF=FOLDER bench/pipeline-load.sh; python3 bench/azurite-profile.py FOLDER/*.cpuprofile
#                                      where each Azurite process spent its CPU (in start order: run 1, its replay, run 2, ..., flat)
#   SMED_BENCH_ROUNDS=N                rounds of run + replay (default 5); the goal is read on the median ratio
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# Azurite, the Debian tools and the test models, as the demo and the tests get them.
source "$repo/scripts/setup.sh"
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- pipeline-load "${1:-1000}" "$repo/models"
