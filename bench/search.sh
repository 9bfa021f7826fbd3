#!/usr/bin/env bash
# Similar-study search: the embedded index (USearch HNSW, cosine, f32, the product's default M/efConstruction/ef)
# against exact brute-force search (System.Numerics.Tensors) on clustered synthetic vectors made here (kinds of
# study, studies, instances), at 384 and 768 dimensions: recall@10, query latency p50/p99 and rate (one thread each),
# the rate ratio, build time and index size. Goal: recall@10 >= 0.95 at >= 20x the brute-force query rate.
#   bench/search.sh [COUNT] [DIMS,DIMS] [QUERIES] [EXACT_QUERIES] [CLUSTERS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- search "${1:-100000}" "${2:-384,768}" "${3:-1000}" "${4:-200}" "${5:-50}"
