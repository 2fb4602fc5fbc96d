#!/usr/bin/env bash
# Gradient boosting on 1,000,000 rows x 100 features (100 trees, depth 6, 64 bins, 20
# rows a leaf, learning rate 0.1, L2 1, 2 threads): tickml's booster
# (train/examples/boost_scale.rs) and LightGBM (scripts/boost_scale.py) on the same
# rows in one run, each reporting its time and peak resident memory. The rows (400 MB
# of float32) are written once under target/boost-scale; Python packages are pinned in
# target/sklearn-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/sklearn-venv
if ! "$venv/bin/python" -c "import lightgbm, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scikit-learn==1.9.1 numpy==2.4.6 pandas==3.1.1 lightgbm==4.7.0
fi
dir=target/boost-scale
mkdir -p "$dir"
[ -s "$dir/x.f32" ] || "$venv/bin/python" scripts/boost_scale.py make "$dir"
cargo build -q --release -p tickml-train --example boost_scale
ours=$(target/release/examples/boost_scale "$dir")
echo "$ours"
theirs=$(OMP_NUM_THREADS=2 "$venv/bin/python" scripts/boost_scale.py train "$dir")
echo "$theirs"
seconds() { sed -E 's/.*: ([0-9.]+) s .*/\1/' <<<"$1"; }
megabytes() { sed -E 's/.*peak RSS ([0-9]+) MB.*/\1/' <<<"$1"; }
awk -v a="$(seconds "$ours")" -v b="$(seconds "$theirs")" \
  -v c="$(megabytes "$ours")" -v d="$(megabytes "$theirs")" \
  'BEGIN { printf "tickml / LightGBM: time %.2f, peak memory %.2f\n", a / b, c / d }'
