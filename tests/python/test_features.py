"""FeatureEngineer equals `tickml features` value for value, and bad frames raise."""
import numpy as np
import pandas as pd
import pytest

from conftest import cli_csv, ROOT
from tickml import FeatureConfig, FeatureEngineer


def assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours.columns) == list(theirs.columns)
    a, b = ours.to_numpy(), theirs.to_numpy(dtype=np.float64)
    # shortest round-trip decimals: parsing the CLI's text gives the same doubles
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)])


def test_one_series_equals_the_cli(spx):
    ours = FeatureEngineer().fit_transform(spx)
    theirs = cli_csv("features", "--input", "data/spx_daily.csv").drop(columns=["timestamp"])
    assert ours.shape == (len(spx), 110)
    assert ours.index.equals(spx.index)
    assert_same(ours, theirs)


def test_a_universe_equals_the_cli(pair):
    ours = FeatureEngineer().fit_transform(pair)
    theirs = cli_csv("features", "--input", "data/spx_goog_daily.csv").drop(columns=["timestamp", "symbol"])
    assert_same(ours, theirs)
    assert ours["xs_rank"].notna().sum() > 1000


def test_a_configuration_and_a_datetime_index(spx, tmp_path):
    config = FeatureConfig(trend_windows=[5, 20], rsi_period=10, cross_section="extended")
    framed = spx.set_index(pd.to_datetime(spx["timestamp"])).drop(columns=["timestamp"])
    ours = FeatureEngineer(config).fit_transform(framed)
    path = tmp_path / "features.toml"
    path.write_text(config.to_toml())
    theirs = cli_csv("features", "--input", "data/spx_daily.csv", "--config", str(path)).drop(columns=["timestamp"])
    assert "sma_20" in ours.columns and "sma_200" not in ours.columns
    assert_same(ours.reset_index(drop=True), theirs)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.drop(columns=["volume"]), "missing columns: volume"),
        (lambda d: d.assign(high=d["low"] - 1.0), "row 0"),
        (lambda d: d.assign(close=np.where(d.index == 3, np.nan, d["close"])), "row 3"),
        (lambda d: d.iloc[::-1], "row 1"),
        (lambda d: d.drop(columns=["timestamp"]), "timestamp"),
    ],
)
def test_bad_frames_raise_value_errors(spx, change, message):
    with pytest.raises(ValueError, match=message):
        FeatureEngineer().fit_transform(change(spx.head(50).copy()))


def test_unknown_configuration_fields_raise(spx):
    with pytest.raises(ValueError, match="invalid feature configuration"):
        FeatureEngineer(FeatureConfig(no_such_window=3)).fit_transform(spx.head(5))
