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


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        x, y = a[name].to_numpy(), b[name].to_numpy()
        if pd.api.types.is_numeric_dtype(a[name]):
            assert np.array_equal(x.astype(float), y.astype(float), equal_nan=True), name
        else:
            assert list(x) == list(y), name


def test_on_bar_decides_as_stream_and_stream_continues_the_state(spx):
    bars = spx.head(700)
    whole = Pipeline.from_bundle(BUNDLE).stream(bars)
    live = Pipeline.from_bundle(BUNDLE)
    first = live.stream(bars.head(400))
    rows = [live.on_bar(bar) for bar in bars.iloc[400:].to_dict("records")]
    frames_equal(first, whole.head(400))
    tail = whole.iloc[400:]
    assert [d["signal"].name.lower() for d in rows] == list(tail["signal"])
    assert [d["regime"].value for d in rows] == list(tail["regime"])
    assert np.array_equal([d["weighted_signal"] for d in rows], tail["weighted_signal"])
    assert np.array_equal([d["confidence"] for d in rows], tail["confidence"])
    for name in live.model_names:
        assert np.array_equal([d["predictions"][name] for d in rows], tail[name], equal_nan=True)
        assert np.array_equal([d["strategy_breakdown"][name]["weight"] for d in rows], tail[f"weight_{name}"])
    assert rows[-1]["timestamp"] == pd.Timestamp(bars["timestamp"].iloc[-1], tz="UTC")
    summary = live.get_strategy_summary()
    assert list(summary.index) == live.model_names
    assert np.allclose(summary["weight"], [rows[-1]["strategy_breakdown"][m]["weight"] for m in live.model_names])


def test_a_pickled_pipeline_resumes_where_it_stopped(spx):
    import pickle

    bars = spx.head(900)
    whole = Pipeline.from_bundle(BUNDLE).stream(bars)
    live = Pipeline.from_bundle(BUNDLE)
    live.stream(bars.head(500))
    resumed = pickle.loads(pickle.dumps(live))
    frames_equal(resumed.stream(bars.iloc[500:]), whole.iloc[500:])


def test_a_refused_row_leaves_the_pipeline_as_it_was(spx):
    bars = spx.head(800)
    whole = Pipeline.from_bundle(BUNDLE).stream(bars)
    live = Pipeline.from_bundle(BUNDLE)
    live.stream(bars.head(500))
    broken = bars.iloc[500:600].copy()
    broken.iloc[50, broken.columns.get_loc("low")] = broken["high"].iloc[50] + 1.0
    with pytest.raises(ValueError, match="row 50"):
        live.stream(broken)
    backwards = bars.iloc[10].to_dict()
    with pytest.raises(ValueError, match="timestamp"):
        live.on_bar(backwards)
    with pytest.raises(ValueError, match="missing fields: volume"):
        live.on_bar({k: v for k, v in bars.iloc[500].items() if k != "volume"})
    frames_equal(live.stream(bars.iloc[500:]), whole.iloc[500:])
