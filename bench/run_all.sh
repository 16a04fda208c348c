#!/usr/bin/env bash
# Run every benchmark of bench/README.md in turn (about 12 minutes); tables and JSON go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
for name in roundtrips throughput latency burst memory reminder_storm; do
    echo "== bench.$name"
    .venv/bin/python -m "bench.$name" --json "bench/results/$name.json" | tee "bench/results/$name.txt"
done
