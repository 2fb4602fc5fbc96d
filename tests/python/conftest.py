"""Shared fixtures: the repository, its data and the `tickml` binary (built by
scripts/test.sh before pytest runs)."""
import io
import json
import pathlib
import subprocess

import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TICKML = ROOT / "target" / "release" / "tickml"


def cli(*args: str) -> str:
    """The `tickml` command's standard output."""
    return subprocess.run([str(TICKML), *args], check=True, capture_output=True, text=True, cwd=ROOT).stdout


def cli_csv(*args: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(cli(*args)))


def cli_json(*args: str):
    return json.loads(cli(*args))


@pytest.fixture(scope="session")
def spx() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "spx_daily.csv")


@pytest.fixture(scope="session")
def pair() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "spx_goog_daily.csv")
