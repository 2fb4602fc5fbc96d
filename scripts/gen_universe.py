"""A synthetic universe for research at a size the shipped data cannot give.

Pinned: Python 3.11, numpy==2.4.6.
Run from the repository root:  python scripts/gen_universe.py
Writes data/synthetic_universe_daily.csv: 8 symbols (S0..S7 in two sectors), 1,500
weekdays from 2010-01-04, long format `timestamp,symbol,open,high,low,close,volume`.

Factor model of daily log returns, Student-t(4) shocks scaled to unit variance:
  r[i,t] = beta_i m_t + gamma_i s[sector(i),t] + e[i,t]
  m_t ~ 0.0003 + 0.010 t4,  s[k,t] ~ 0.006 t4,  e[i,t] ~ 0.012 t4,
  beta_i ~ U(0.7, 1.3), gamma_i ~ U(0.5, 1.5).
There is no predictability in the returns by construction: a model that finds an edge
out of sample here has found noise (the point of generating it).
Intraday: open = previous close x exp(0.3 r), high/low stretch the open-close range by
|0.004 t4| each side, volume lognormal(13, 0.4) x (1 + 20 |r|).
"""
import numpy as np

rng = np.random.default_rng(20261124)
N, T = 8, 1500
t4 = lambda *shape: rng.standard_t(4, size=shape) / np.sqrt(2.0)  # unit variance
beta = rng.uniform(0.7, 1.3, N)
gamma = rng.uniform(0.5, 1.5, N)
sector = np.arange(N) % 2
m = 0.0003 + 0.010 * t4(T)
s = 0.006 * t4(2, T)
r = beta[:, None] * m[None, :] + gamma[:, None] * s[sector] + 0.012 * t4(N, T)
close = 50.0 * np.exp(np.cumsum(r, axis=1)) * rng.uniform(0.5, 4.0, N)[:, None]
days = np.busday_offset("2010-01-04", np.arange(T), roll="forward")
with open("data/synthetic_universe_daily.csv", "w") as f:
    f.write("timestamp,symbol,open,high,low,close,volume\n")
    for t in range(T):
        for i in range(N):
            c = close[i, t]
            prev = close[i, t - 1] if t else c / np.exp(r[i, t])
            o = prev * np.exp(0.3 * r[i, t])
            hi = max(o, c) * np.exp(abs(0.004 * t4(1)[0]))
            lo = min(o, c) * np.exp(-abs(0.004 * t4(1)[0]))
            v = rng.lognormal(13, 0.4) * (1 + 20 * abs(r[i, t]))
            f.write(f"{days[t]}T00:00:00Z,S{i},{o:.4f},{hi:.4f},{lo:.4f},{c:.4f},{v:.0f}\n")
print("numpy", np.__version__, N, "symbols", T, "days")
