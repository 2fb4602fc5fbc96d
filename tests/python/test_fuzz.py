"""Arbitrary frames never crash the extension: each either computes or raises
ValueError (a Rust panic would surface as pyo3's PanicException, which is not one)."""
import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from tickml import FeatureEngineer, Pipeline

BUNDLE = ROOT / "stream-cli" / "assets" / "default_bundle.tml"
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -1.0, 1e-300, 1e300, 100.0]),
)
rows = st.tuples(st.integers(0, 40), values, values, values, values, values)


def frame(data, with_symbol):
    df = pd.DataFrame(
        [(pd.Timestamp("2020-01-01") + pd.Timedelta(days=t), o, h, l, c, v) for t, o, h, l, c, v in data],
        columns=["timestamp", "open", "high", "low", "close", "volume"],
    )
    if with_symbol:
        df["symbol"] = np.where(np.arange(len(df)) % 2 == 0, "A", "B")
    return df


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, max_size=30), st.booleans())
def test_features_compute_or_raise_value_error(data, with_symbol):
    df = frame(data, with_symbol)
    try:
        out = FeatureEngineer().fit_transform(df)
    except ValueError:
        return
    assert out.shape == (len(df), 110)


@settings(max_examples=100, deadline=None)
@given(st.lists(rows, max_size=30))
def test_the_pipeline_decides_or_raises_value_error(data):
    df = frame(data, False)
    try:
        out = Pipeline.from_bundle(BUNDLE).stream(df)
    except ValueError:
        return
    assert len(out) == len(df)


valid = st.tuples(
    st.integers(1, 3),  # days after the previous bar
    st.floats(1.0, 1000.0),
    st.floats(1.0, 1000.0),
    st.floats(0.0, 0.1),
    st.floats(0.0, 1e9),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(valid, min_size=1, max_size=60), st.integers(0, 59), values)
def test_valid_bars_compute_and_one_bad_value_is_named(data, at, bad):
    t = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.cumsum([d[0] for d in data]), unit="D")
    o = np.array([d[1] for d in data])
    c = np.array([d[2] for d in data])
    spread = np.array([d[3] for d in data])
    df = pd.DataFrame({"timestamp": t, "open": o, "high": np.maximum(o, c) * (1 + spread),
                       "low": np.minimum(o, c) * (1 - spread), "close": c, "volume": [d[4] for d in data]})
    out = FeatureEngineer().fit_transform(df)
    assert out.shape == (len(df), 110) and np.isfinite(out.to_numpy()[~np.isnan(out.to_numpy())]).all()
    decisions = Pipeline.from_bundle(BUNDLE).stream(df)
    assert len(decisions) == len(df)
    at = at % len(df)
    df.loc[at, "close"] = bad
    try:
        FeatureEngineer().fit_transform(df)
    except ValueError as e:
        assert f"row {at}" in str(e)
