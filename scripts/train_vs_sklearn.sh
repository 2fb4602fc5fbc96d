#!/usr/bin/env bash
# The default `tickml train` beside scripts/sklearn_baseline.py (the same features,
# labels, purged folds and model shapes fitted by scikit-learn, 2 threads) in one run,
# and the ratio of their times. Python packages are pinned in a virtual environment
# under target/sklearn-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/sklearn-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scikit-learn==1.9.1 numpy==2.4.6 pandas==3.1.1
fi
cargo build -q --release -p tickml-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s.%N; }
start=$(now)
target/release/tickml train --input data/spx_daily.csv --out "$out/train" 2>&1 | tail -8
ours=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
start=$(now)
OMP_NUM_THREADS=2 "$venv/bin/python" scripts/sklearn_baseline.py | tee "$out/sklearn.txt"
theirs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
# the script's own total leaves out the interpreter's start and imports
inside=$(awk '/^features and splits/ { print $NF == "s" ? $(NF - 1) : $NF }' "$out/sklearn.txt")
awk -v o="$ours" -v t="$theirs" -v i="$inside" 'BEGIN {
  printf "tickml train %.2f s; scikit-learn %.2f s wall (%.2f s without starting Python): ratio %.2f (%.2f)\n", o, t, i, o / t, o / i }'
