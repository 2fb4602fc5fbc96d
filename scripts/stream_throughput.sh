#!/usr/bin/env bash
# `tickml stream` throughput on 1,000,000 synthetic minute bars (a deterministic
# random walk), JSON lines and CSV written to a file, one core: prints the bars/s line
# the stream writes on stderr, for each run.
#   scripts/stream_throughput.sh [TICKML_BINARY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/tickml}
runs=${2:-3}
[ "$bin" = target/release/tickml ] && cargo build -q --release -p tickml-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk 'BEGIN {
  srand(20261203); p = 100; t = 1577836800;
  print "timestamp,open,high,low,close,volume";
  for (i = 0; i < 1000000; i++) {
    o = p; p = p * (1 + (rand() - 0.5) * 0.002);
    h = (o > p ? o : p) * (1 + rand() * 0.0005); l = (o < p ? o : p) * (1 - rand() * 0.0005);
    printf "%d,%.6f,%.6f,%.6f,%.6f,%d\n", t + 60 * i, o, h, l, p, 1000 + int(rand() * 9000);
  }
}' > "$work/bars.csv"
for format in jsonl csv; do
  for _ in $(seq "$runs"); do
    taskset -c 0 "$bin" stream --input "$work/bars.csv" --format "$format" \
      > "$work/out.$format" 2> "$work/err"
    echo "$format: $(grep -i 'bars/s' "$work/err" | tail -1)"
  done
done
