#!/usr/bin/env bash
# Run every benchmark of bench/README.md in turn (about 13 minutes). Each writes its figures to
# bench/results/<date>-<name>.json (committed: the README cites them) and its table next to it (.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
today="$(date -u +%F)"
for name in roundtrips throughput latency burst memory reminder_storm rollover_storm; do
    echo "== bench.$name"
    .venv/bin/python -m "bench.$name" --json | tee "bench/results/$today-$name.txt"
done
