//! The backtest report as one self-contained HTML page: inline SVG, no scripts, no
//! network. What it shows first, as quantstats and backtesting.py do: the verdict and
//! the table of every configuration against its baselines, then equity against buy and
//! hold over the regime timeline, drawdown, rolling Sharpe, the strategies' weights, and
//! the two distributions behind the overfitting figures (CPCV path Sharpes, PBO logits).

use std::fmt::Write;

use super::{Backtest, BarRow};

const WIDTH: f64 = 960.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 28.0;
const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

/// Regime shading colours, by regime name.
fn regime_colour(name: &str) -> Option<&'static str> {
    Some(match name {
        "bull_trend" => "#d8f0d8",
        "bear_trend" => "#f6dada",
        "trending" => "#e6f2dc",
        "ranging" => "#e8e8f4",
        "high_volatility" => "#fbe7c6",
        "low_volatility" => "#eef6fb",
        "crisis" => "#e8c0c0",
        _ => return None,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn fmt(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "–".into()
    }
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1}%", 100.0 * v)
    } else {
        "–".into()
    }
}

/// Year of a unix-ns timestamp.
fn year(ns: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_nanos(ns).year()
}

/// A panel with a y range, x over the decided bars.
struct Panel {
    height: f64,
    n: usize,
    lo: f64,
    hi: f64,
    log: bool,
}

impl Panel {
    fn new(height: f64, n: usize, values: impl Iterator<Item = f64>, log: bool) -> Panel {
        let (mut lo, mut hi) = values
            .filter(|v| v.is_finite() && (!log || *v > 0.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        if !lo.is_finite() {
            (lo, hi) = if log { (0.5, 2.0) } else { (-1.0, 1.0) };
        }
        if hi <= lo {
            hi = lo + 1.0;
        }
        Panel {
            height,
            n,
            lo,
            hi,
            log,
        }
    }

    fn x(&self, t: usize) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * t as f64 / (self.n.max(2) - 1) as f64
    }

    fn y(&self, v: f64) -> f64 {
        let f = |v: f64| if self.log { v.ln() } else { v };
        let s = (f(v) - f(self.lo)) / (f(self.hi) - f(self.lo));
        TOP + (self.height - TOP - BOTTOM) * (1.0 - s)
    }

    fn start(&self, out: &mut String, title: &str, y_label: &str) {
        let _ = write!(
            out,
            r#"<figure><figcaption>{}</figcaption><svg viewBox="0 0 {WIDTH} {h}" width="100%" role="img" aria-label="{}"><text x="12" y="{mid}" transform="rotate(-90 12 {mid})" class="axis" text-anchor="middle">{}</text>"#,
            escape(title),
            escape(title),
            escape(y_label),
            h = self.height,
            mid = self.height / 2.0
        );
    }

    fn y_axis(&self, out: &mut String, ticks: &[f64], label: impl Fn(f64) -> String) {
        for &v in ticks {
            let y = self.y(v);
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" class="axis" text-anchor="end">{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 4.0,
                y + 4.0,
                label(v)
            );
        }
    }

    fn x_axis(&self, out: &mut String, times: &[i64]) {
        let mut last = None;
        for (t, &ns) in times.iter().enumerate() {
            let y = year(ns);
            if last.is_some_and(|l| l != y) && (y % 2 == 0 || times.len() < 1500) {
                let x = self.x(t);
                let _ = write!(
                    out,
                    r##"<line x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{}" stroke="#eee"/><text x="{x:.1}" y="{}" class="axis" text-anchor="middle">{y}</text>"##,
                    self.height - BOTTOM,
                    self.height - BOTTOM + 16.0
                );
            }
            last = Some(y);
        }
    }

    fn line(&self, out: &mut String, values: &[f64], colour: &str, width: f64) {
        let step = (values.len() / 1200).max(1);
        let mut d = String::new();
        let mut pen_down = false;
        for (t, &v) in values.iter().enumerate() {
            if t % step != 0 && t + 1 != values.len() {
                continue;
            }
            if !v.is_finite() || (self.log && v <= 0.0) {
                pen_down = false;
                continue;
            }
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if pen_down { "L" } else { "M" },
                self.x(t),
                self.y(v)
            );
            pen_down = true;
        }
        let _ = write!(
            out,
            r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"/>"#
        );
    }

    fn legend(&self, out: &mut String, entries: &[(&str, &str)]) {
        let mut x = LEFT + 8.0;
        for (name, colour) in entries {
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="6" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="15" class="legend">{}</text>"#,
                x + 14.0,
                escape(name)
            );
            x += 24.0 + 7.0 * name.len() as f64;
        }
    }

    fn end(out: &mut String) {
        out.push_str("</svg></figure>\n");
    }
}

fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if log {
        let mut t = Vec::new();
        let mut v = 10f64.powf(lo.log10().floor());
        while v <= hi * 1.0001 {
            for m in [1.0, 2.0, 5.0] {
                let x = v * m;
                if x >= lo * 0.9999 && x <= hi * 1.0001 {
                    t.push(x);
                }
            }
            v *= 10.0;
        }
        return t;
    }
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let mut v = (lo / step).ceil() * step;
    let mut t = Vec::new();
    while v <= hi + 1e-12 {
        t.push(v);
        v += step;
    }
    t
}

fn regime_shading(out: &mut String, p: &Panel, rows: &[BarRow]) {
    let mut t = 0;
    while t < rows.len() {
        let name = rows[t].regime;
        let mut u = t;
        while u + 1 < rows.len() && rows[u + 1].regime == name {
            u += 1;
        }
        if let Some(colour) = regime_colour(name) {
            let (x0, x1) = (p.x(t), p.x(u + 1).min(WIDTH - RIGHT));
            let _ = write!(
                out,
                r#"<rect x="{x0:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="{colour}"/>"#,
                (x1 - x0).max(0.5),
                p.height - TOP - BOTTOM
            );
        }
        t = u + 1;
    }
}

fn drawdown(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::MIN;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            e / peak - 1.0
        })
        .collect()
}

/// Annualised Sharpe of the trailing `window` net returns.
fn rolling_sharpe(net: &[f64], window: usize, ppy: f64) -> Vec<f64> {
    (0..net.len())
        .map(|t| {
            if t + 1 < window {
                return f64::NAN;
            }
            crate::stats::sharpe::sharpe(&net[t + 1 - window..=t]) * ppy.sqrt()
        })
        .collect()
}

/// A panel of one configuration's series against buy and hold's.
struct VersusHold<'a> {
    name: &'a str,
    times: &'a [i64],
}

impl VersusHold<'_> {
    fn panel(
        &self,
        out: &mut String,
        title: &str,
        y_label: &str,
        (ours, hold): (&[f64], &[f64]),
        colour: &str,
        label: impl Fn(f64) -> String,
    ) {
        let values = ours.iter().chain(hold).copied().chain([0.0]);
        let p = Panel::new(200.0, ours.len(), values, false);
        p.start(out, title, y_label);
        p.x_axis(out, self.times);
        p.y_axis(out, &ticks(p.lo, p.hi, false), label);
        p.line(out, hold, "#888", 1.0);
        p.line(out, ours, colour, 1.4);
        p.legend(out, &[(self.name, colour), ("buy and hold", "#888")]);
        Panel::end(out);
    }
}

fn histogram(out: &mut String, title: &str, x_label: &str, values: &[f64], marker: f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let height = 220.0;
    let (lo, hi) = finite
        .iter()
        .fold((marker, marker), |(a, b), &v| (a.min(v), b.max(v)));
    let bins = 30usize.min(finite.len().max(1));
    let width = ((hi - lo) / bins as f64).max(1e-12);
    let mut counts = vec![0usize; bins];
    for v in &finite {
        counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let p = Panel {
        height,
        n: bins + 1,
        lo: 0.0,
        hi: top,
        log: false,
    };
    p.start(out, title, "count");
    p.y_axis(out, &ticks(0.0, top, false), |v| format!("{v:.0}"));
    for (b, &c) in counts.iter().enumerate() {
        let (x0, x1) = (p.x(b), p.x(b + 1));
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#1f77b4"/>"##,
            x0 + 0.5,
            p.y(c as f64),
            (x1 - x0 - 1.0).max(0.5),
            p.y(0.0) - p.y(c as f64)
        );
    }
    let at = |v: f64| p.x(0) + (p.x(bins) - p.x(0)) * (v - lo) / (width * bins as f64);
    let _ = write!(
        out,
        r##"<line x1="{m:.1}" x2="{m:.1}" y1="{TOP}" y2="{:.1}" stroke="#d62728" stroke-dasharray="4 3"/>"##,
        height - BOTTOM,
        m = at(marker)
    );
    for v in ticks(lo, hi, false) {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text>"#,
            at(v),
            height - BOTTOM + 16.0,
            fmt(v, 2)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">{}</text>"#,
        WIDTH - RIGHT,
        TOP - 8.0,
        escape(x_label)
    );
    Panel::end(out);
}

/// The page for `bt`, titled `title`, with the trials count behind its DSR.
pub fn render(bt: &Backtest, title: &str, trials: usize) -> String {
    let rows = &bt.rows;
    let times: Vec<i64> = rows.iter().map(|r| r.time_ns).collect();
    let n = rows.len();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{t}</title><style>
body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}}
h1{{font-size:20px;margin:0 0 4px}}p.sub{{color:#555;margin:0 0 12px}}
table{{border-collapse:collapse;width:100%;margin:8px 0 16px}}th,td{{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}}
th:first-child,td:first-child{{text-align:left}}tr.head td{{font-weight:600;background:#f4f8fc}}tr.base td{{color:#555}}
figure{{margin:8px 0 18px}}figcaption{{font-weight:600;margin-bottom:2px}}
.axis{{font-size:11px;fill:#555}}.legend{{font-size:12px;fill:#222}}.verdict{{padding:8px 12px;background:#fff8e6;border-left:4px solid #f0b400}}
</style></head><body>
"#,
        t = escape(title)
    );
    let head = bt.configurations.last();
    let hold = bt.configuration("buy_and_hold");
    let (first, last) = (
        rows.first().map_or("", |r| r.timestamp.as_str()),
        rows.last().map_or("", |r| r.timestamp.as_str()),
    );
    let c = &bt.config;
    let _ = writeln!(
        out,
        "<h1>{}</h1><p class=\"sub\">Walk-forward, out of sample, net of {} bps per unit of turnover: {} bars from {} to {}, {} windows retrained every {} bars on {}, {:.1} bars a year (from the timestamps). Positions from <code>{}</code>, one bar of lag.</p>",
        escape(title),
        c.train.cost_bps,
        n,
        escape(first),
        escape(last),
        bt.windows.len(),
        c.retrain_every,
        if c.expanding { "every earlier bar".to_string() } else { format!("the last {} bars", c.train_size) },
        bt.periods_per_year,
        match c.position {
            super::PositionRule::WeightedSignal => "weighted_signal",
            super::PositionRule::Signal => "signal",
            super::PositionRule::SignalTimesConfidence => "signal x confidence",
        }
    );
    if !bt.symbols.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"sub\">A universe of {} symbols ({}): one pooled bundle per window, each timestamp's members decided together; weights {}; buy and hold is equal-weight buy and hold of the members; costs per traded notional. Strategy weights are the members' means.</p>",
            bt.symbols.len(),
            escape(&bt.symbols.join(", ")),
            match c.portfolio {
                super::portfolio::PortfolioMode::PerSymbol => "per symbol (each member's position on 1/m of the equity)".to_string(),
                super::portfolio::PortfolioMode::LongShort { quantile, legs } => format!(
                    "long-short (top and bottom {quantile} of the members, {} legs, gross 1)",
                    match legs {
                        super::portfolio::LegWeights::Equal => "equal",
                        super::portfolio::LegWeights::InverseVolatility => "inverse-volatility",
                    }
                ),
            }
        );
    }
    if let (Some(h), Some(b)) = (head, hold) {
        let (hs, bs) = (
            h.performance.sharpe.sharpe_annualised,
            b.performance.sharpe.sharpe_annualised,
        );
        let best = bt
            .configurations
            .iter()
            .filter(|c| c.in_grid)
            .max_by(|x, y| {
                x.performance
                    .sharpe
                    .sharpe_annualised
                    .total_cmp(&y.performance.sharpe.sharpe_annualised)
            });
        let _ = write!(
            out,
            "<p class=\"verdict\">The deployed configuration (<b>{}</b>) earns a net Sharpe of <b>{}</b> against <b>{}</b> for buy and hold on the same bars: it {} the baseline.",
            escape(&h.name),
            fmt(hs, 2),
            fmt(bs, 2),
            if hs > bs { "beats" } else { "does not beat" }
        );
        if let Some(best) = best {
            let _ = write!(
                out,
                " The best of the {} configurations tried is <b>{}</b> ({}; DSR {} after {} trials).",
                bt.configurations.iter().filter(|c| c.in_grid).count(),
                escape(&best.name),
                fmt(best.performance.sharpe.sharpe_annualised, 2),
                fmt(best.performance.dsr, 2),
                trials
            );
        }
        if let Some(p) = &bt.pbo {
            let _ = write!(
                out,
                " Picking the in-sample best of them overfits with probability <b>{}</b> (PBO).",
                fmt(p.pbo, 2)
            );
        }
        out.push_str("</p>\n");
    }
    out.push_str("<table><tr><th>configuration</th><th>Sharpe</th><th>± SE</th><th>PSR</th><th>DSR</th><th>CAGR</th><th>max drawdown</th><th>turnover / yr</th><th>costs paid</th><th>exposure</th></tr>\n");
    for (k, cfg) in bt.configurations.iter().enumerate() {
        let p = &cfg.performance;
        let class = if k + 1 == bt.configurations.len() {
            " class=\"head\""
        } else if !cfg.in_grid {
            " class=\"base\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&cfg.name),
            fmt(p.sharpe.sharpe_annualised, 2),
            fmt(p.sharpe.sharpe_se * bt.periods_per_year.sqrt(), 2),
            fmt(p.sharpe.psr, 3),
            fmt(p.dsr, 3),
            pct(p.cagr),
            pct(p.max_drawdown),
            fmt(p.turnover_per_year, 1),
            pct(p.costs_paid),
            fmt(p.exposure, 2)
        );
    }
    let _ = writeln!(out, "</table><p class=\"sub\">Sharpe annualised from per-bar net returns; SE: Lo (2002) with a Newey-West covariance (valid for fat tails and autocorrelation); PSR: probability the true Sharpe exceeds 0; DSR: the same against the expected best of {trials} trials on these data; costs paid: sum of per-bar costs in units of starting equity.</p>");

    if let (Some(h), Some(b)) = (head, hold) {
        // equity on a log scale over the regime timeline
        let p = Panel::new(
            320.0,
            n,
            h.ledger.equity.iter().chain(&b.ledger.equity).copied(),
            true,
        );
        p.start(
            &mut out,
            "Equity (log scale), regime shading behind",
            "growth of 1",
        );
        regime_shading(&mut out, &p, rows);
        p.x_axis(&mut out, &times);
        p.y_axis(&mut out, &ticks(p.lo, p.hi, true), |v| fmt(v, 1));
        p.line(&mut out, &b.ledger.equity, "#888", 1.2);
        p.line(&mut out, &h.ledger.equity, PALETTE[0], 1.6);
        let mut legend = vec![(h.name.as_str(), PALETTE[0]), ("buy and hold", "#888")];
        let regimes = [
            "bull_trend",
            "bear_trend",
            "trending",
            "ranging",
            "high_volatility",
            "low_volatility",
            "crisis",
        ];
        for r in regimes {
            if rows.iter().any(|x| x.regime == r) {
                legend.push((r, regime_colour(r).unwrap_or("#fff")));
            }
        }
        p.legend(&mut out, &legend);
        Panel::end(&mut out);

        let series = VersusHold {
            name: &h.name,
            times: &times,
        };
        series.panel(
            &mut out,
            "Drawdown",
            "from peak",
            (&drawdown(&h.ledger.equity), &drawdown(&b.ledger.equity)),
            PALETTE[1],
            pct,
        );
        let window = (bt.periods_per_year / 2.0).round().max(20.0) as usize;
        series.panel(
            &mut out,
            &format!("Rolling Sharpe ({window} bars, about six months, annualised)"),
            "Sharpe",
            (
                &rolling_sharpe(&h.ledger.net, window, bt.periods_per_year),
                &rolling_sharpe(&b.ledger.net, window, bt.periods_per_year),
            ),
            PALETTE[2],
            |v| fmt(v, 1),
        );
    }

    let strategies = bt.models.len();
    if strategies > 0 && n > 0 {
        let p = Panel::new(200.0, n, [0.0, 1.0].into_iter(), false);
        p.start(&mut out, "Strategy weights (deployed arbitrator)", "weight");
        p.x_axis(&mut out, &times);
        p.y_axis(&mut out, &[0.0, 0.25, 0.5, 0.75, 1.0], |v| fmt(v, 2));
        let mut legend = Vec::new();
        for (s, name) in bt.models.iter().enumerate() {
            let w: Vec<f64> = rows
                .iter()
                .map(|r| r.weights.get(s).copied().unwrap_or(f64::NAN))
                .collect();
            let colour = PALETTE[s % PALETTE.len()];
            p.line(&mut out, &w, colour, 1.0);
            legend.push((name.as_str(), colour));
        }
        p.legend(&mut out, &legend);
        Panel::end(&mut out);
    }

    let paths: Vec<f64> = bt
        .cpcv
        .iter()
        .flat_map(|c| c.sharpe_annualised.iter().copied())
        .collect();
    if !paths.is_empty() {
        let models: Vec<&str> = bt.cpcv.iter().map(|c| c.model.as_str()).collect();
        histogram(
            &mut out,
            &format!(
                "CPCV backtest paths: annualised net Sharpe ({} paths of {})",
                paths.len(),
                models.join(", ")
            ),
            &format!(
                "path Sharpe (dashed: buy and hold on the same samples, {})",
                fmt(bt.cpcv_buy_and_hold, 2)
            ),
            &paths,
            bt.cpcv_buy_and_hold,
        );
    }
    if let Some(p) = &bt.pbo {
        histogram(
            &mut out,
            &format!(
                "PBO: logits of the in-sample best's out-of-sample rank ({} combinations; PBO = share at or left of 0 = {})",
                p.logits.len(),
                fmt(p.pbo, 3)
            ),
            "logit (dashed: 0)",
            &p.logits,
            0.0,
        );
    } else if let Some(e) = &bt.pbo_error {
        let _ = write!(out, "<p>PBO not computed: {}</p>", escape(e));
    }
    out.push_str("</body></html>\n");
    out
}
