"""Builds the real two-symbol universe data/spx_goog_daily.csv (long format, stdlib only).

The S&P 500 index (data/spx_daily.csv) and Alphabet (data/goog_daily.csv) on the days
both have, 2004-08-19 to 2013-03-01: `timestamp,symbol,open,high,low,close,volume`,
rows in time order, symbols by name within a day.
Run from the repository root:  python scripts/make_universe.py
"""
import csv

series = {}
for symbol, path in [("GOOG", "data/goog_daily.csv"), ("SPX", "data/spx_daily.csv")]:
    with open(path) as f:
        series[symbol] = {row["timestamp"]: row for row in csv.DictReader(f)}
common = sorted(set(series["GOOG"]) & set(series["SPX"]))
with open("data/spx_goog_daily.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["timestamp", "symbol", "open", "high", "low", "close", "volume"])
    for ts in common:
        for symbol in sorted(series):
            r = series[symbol][ts]
            w.writerow([ts, symbol, r["open"], r["high"], r["low"], r["close"], r["volume"]])
print(len(common), "days")
