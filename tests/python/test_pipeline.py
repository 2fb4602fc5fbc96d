"""Pipeline.from_bundle(...).stream(df) decides as `tickml stream` does, bit for bit."""
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, cli_csv
from tickml import Pipeline

BUNDLE = ROOT / "stream-cli" / "assets" / "default_bundle.tml"


def test_the_default_bundle_decides_as_the_cli(spx):
    bars = spx.head(1200)
    ours = Pipeline.from_bundle(BUNDLE).stream(bars)
    path = ROOT / "target" / "py-stream-input.csv"
    bars.to_csv(path, index=False)
    theirs = cli_csv("stream", "--input", str(path), "--format", "csv").drop(columns=["timestamp", "symbol"])
    assert list(ours.columns) == list(theirs.columns)
    for name in ours.columns:
        a, b = ours[name].to_numpy(), theirs[name].to_numpy()
        if not pd.api.types.is_numeric_dtype(ours[name]):
            assert list(a) == list(b), name
        else:
            a, b = a.astype(float), b.astype(float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), name
            assert np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)]), name
    assert (ours["signal"] != "neutral").sum() > 100


def test_bad_bundles_and_bars_raise(spx, tmp_path):
    bad = tmp_path / "bad.tml"
    bad.write_bytes(BUNDLE.read_bytes()[:100])
    with pytest.raises(ValueError, match="bad bundle"):
        Pipeline.from_bundle(bad)
    with pytest.raises(ValueError, match="row 2"):
        Pipeline.from_bundle(BUNDLE).stream(spx.head(10).assign(low=lambda d: np.where(d.index == 2, d["high"] + 1, d["low"])))
