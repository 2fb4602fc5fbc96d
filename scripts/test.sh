#!/usr/bin/env bash
# Every test, Rust and Python (the README's test command; .ci/run calls it):
# Debian's nats-server when missing (scripts/nats.sh), `cargo test --workspace`, then
# the Python package (python/, PyO3) built by maturin into a virtual environment with pinned packages (target/py-venv) and pytest over
# tests/python, which compares it with the `tickml` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/nats.sh  # the JetStream tests start their own server
cargo test --workspace
venv="$PWD/target/py-venv"
# the optional extras the tests exercise: LightGBM and XGBoost (ModelFactory), matplotlib
# (examples/research_loop.py), dask.distributed (tickml.dask)
if ! "$venv/bin/python" -c "import maturin, numpy, pandas, sklearn, pytest, hypothesis, lightgbm, xgboost, matplotlib, distributed" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q maturin==1.9.6 numpy==2.4.6 pandas==3.1.1 scikit-learn==1.9.1 pytest==8.4.2 \
    hypothesis==6.140.3 lightgbm==4.7.0 xgboost-cpu==3.2.0 matplotlib==3.10.8 "dask[distributed]==2026.8.0"
fi
cargo build --release -q -p tickml-cli
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release -q)
"$venv/bin/python" -m pytest -q tests/python
