"""Times LightGBM and lleaves on the benchmark model (tests/fixtures/models/lgbm_200x31.txt).

Pinned (scripts/tree_peers.sh installs them in a virtual environment): Python 3.11,
numpy==2.4.6, lightgbm==4.7.0, lleaves==1.3.0, llvmlite==0.43.0.

Rows: 1,024 rows of 100 features, each a sum of four uniforms minus 2 (the
distribution of benches/inference.rs; a different generator, so not the same rows).
Prints microseconds per row for single-row calls (what a tick handler makes) and for
one call over all rows (batch), median of 7 repeats, one thread.
"""
import json
import statistics
import sys
import time

import lightgbm
import lleaves
import numpy as np

MODEL = "tests/fixtures/models/lgbm_200x31.txt"
rng = np.random.default_rng(0x2545F491)
X = rng.uniform(size=(1024, 100, 4)).sum(axis=2) - 2.0


def per_row(f, rows, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) / rows * 1e6)
    return statistics.median(times)


booster = lightgbm.Booster(model_file=MODEL)
compiled = lleaves.Model(model_file=MODEL)
compiled.compile(cache=sys.argv[1] if len(sys.argv) > 1 else None)
ones = [X[i : i + 1] for i in range(len(X))]
ref = booster.predict(X, num_threads=1)
got = compiled.predict(X, n_jobs=1)
result = {
    "lightgbm_single_row_us": per_row(lambda: [booster.predict(r, num_threads=1) for r in ones], len(X), 3),
    "lightgbm_batch_us": per_row(lambda: booster.predict(X, num_threads=1), len(X)),
    "lleaves_single_row_us": per_row(lambda: [compiled.predict(r, n_jobs=1) for r in ones], len(X)),
    "lleaves_batch_us": per_row(lambda: compiled.predict(X, n_jobs=1), len(X)),
    "lleaves_max_abs_diff_vs_lightgbm": float(np.max(np.abs(ref - got))),
    "versions": {"lightgbm": lightgbm.__version__, "numpy": np.__version__},
}
print(json.dumps(result, indent=1))
