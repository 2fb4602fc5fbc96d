#!/usr/bin/env bash
# Tree inference beside its peers in one run: tickml's criterion benchmarks
# (inference/lgbm_200x31 on the blob, _compact, _quickscorer and _codegen one row at a
# time, _batch (tree-major) and _batch_quickscorer (rows side by side) over 1,024 rows,
# also shown per row)
# and LightGBM and lleaves (scripts/tree_peers.py) on the same model, in a virtual
# environment with pinned versions under target/peer-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy==2.4.6 lightgbm==4.7.0 llvmlite==0.43.0 lleaves==1.3.0
fi
cargo bench --bench inference -- --warm-up-time 1 --measurement-time 5 lgbm 2>/dev/null |
  awk '/^inference\// { name = $1 }
       /time:/ { for (k = 1; k <= NF; k++) if ($k == "time:") {
                   v = $(k + 3); u = $(k + 4); print name, "median", v, u
                   if (name ~ /_batch/) {
                     us = (u == "ms" ? v * 1000 : (u == "s" ? v * 1e6 : v))
                     printf "%s per row %.2f µs (1,024 rows a call)\n", name, us / 1024
                   }
                 } }'
OMP_NUM_THREADS=1 "$venv/bin/python" scripts/tree_peers.py target/peer-lgbm_200x31.so
