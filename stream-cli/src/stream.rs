//! `tickml stream`: bars (or trades) line by line through a deployed bundle, one
//! decision per accepted bar, in input order.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use tickml_core::bars::{BarBuilder, Side, Trade};
use tickml_core::model::ScorerRecord;
use tickml_core::pipeline::{Decision, Pipeline};
use tickml_core::Bar;
use tickml_train::data::{format_timestamp, parse_bar_rule, parse_timestamp};
use tickml_train::session::{Decided, Grouping, Session};

use crate::io;
use crate::number::{parse_f64, push_cell, push_json, push_json_str};

mod nats;

/// The bundle compiled into the binary: made by the command in the README
/// (`tickml train --input data/spx_daily.csv ... --bundle stream-cli/assets/default_bundle.tml`).
pub const DEFAULT_BUNDLE: &[u8] = include_bytes!("../assets/default_bundle.tml");

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header.
    Csv,
}

/// What to do with a bad line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Report it on stderr, count it, go on.
    Skip,
    /// Report it and stop with a non-zero exit.
    Fail,
}

/// Arguments of `tickml stream`.
#[derive(clap::Args)]
pub struct Args {
    /// A bundle blob; the embedded default (trained on data/spx_daily.csv) without it.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Bars (CSV with a header, or JSON lines) or trades (with --bars); `-` is stdin.
    #[arg(long, default_value = "-")]
    input: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Add every feature to each output line.
    #[arg(long)]
    emit_features: bool,
    /// Bad lines: skip (counted) or fail.
    #[arg(long, value_enum, default_value = "skip")]
    on_error: OnError,
    /// Aggregate trades `timestamp,price,size[,side][,symbol]` into bars by the core's
    /// builder: time:1m (ms, s, m, h, d), tick:N, volume:X, dollar:X, or the
    /// information-driven tick-imbalance:E0, volume-imbalance:E0, dollar-imbalance:E0,
    /// tick-run:E0, volume-run:E0, dollar-run:E0 (options ,span=S,bound=B). A bundle
    /// trained on trades brings its own rule.
    #[arg(long)]
    bars: Option<String>,
    /// The universe's members, comma-separated: a timestamp's decisions are emitted as
    /// soon as every member's bar arrived (without it: when a later timestamp begins or
    /// the input ends). Members missing then are left out of the ranks and counted.
    #[arg(long)]
    universe: Option<String>,
    /// Most symbols kept at once.
    #[arg(long, default_value_t = 64)]
    max_symbols: usize,
    /// Also print the strategy summary (the design's `get_strategy_summary()`) to stderr
    /// every N bars of a symbol; it is always printed at the end of the run.
    #[arg(long)]
    summary_every: Option<u64>,
    #[command(flatten)]
    nats: nats::NatsArgs,
}

/// The strategy summary of one symbol's pipeline, as a table on stderr.
fn print_summary(symbol: Option<&str>, models: &[String], p: &Pipeline<f64>) {
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |x| format!("{x:.4}"));
    eprintln!(
        "tickml stream: strategy summary{} after {} bars",
        symbol.map(|s| format!(" [{s}]")).unwrap_or_default(),
        p.feature_set().bars_seen()
    );
    eprintln!(
        "  {:>3} {:<20} {:<16} {:>7} {:>8} {:>6} {:>8} {:>13} {:>8} {:>9} {:>7} {:>10}",
        "id",
        "name",
        "family",
        "weight",
        "score",
        "active",
        "silenced",
        "bars_silenced",
        "sharpe",
        "return",
        "signal",
        "confidence"
    );
    for (s, name) in p.strategy_summary().iter().zip(models) {
        eprintln!(
            "  {:>3} {:<20} {:<16} {:>7.4} {:>8} {:>6} {:>8} {:>13} {:>8} {:>9} {:>7} {:>10.4}",
            s.strategy_id,
            name,
            s.family.name(),
            s.weight,
            cell(s.score),
            s.active,
            s.silenced,
            s.bars_silenced,
            cell(s.recent_sharpe),
            cell(s.recent_return),
            s.signal.name(),
            s.confidence
        );
    }
}

/// One parsed input record.
enum Record {
    Bar {
        timestamp: String,
        symbol: Option<String>,
        bar: Bar<f64>,
    },
    Trade {
        symbol: Option<String>,
        trade: Trade<f64>,
    },
}

/// Reads header-led CSV or JSON lines, either bars or trades.
struct Parser {
    /// Column positions of timestamp, open, high, low, close, volume (bars) or
    /// timestamp, price, size (trades), then of symbol and side, once the CSV header was
    /// read.
    columns: Option<(Vec<usize>, Option<usize>, Option<usize>)>,
    trades: bool,
}

const MAX_CELLS: usize = 32;

/// A CSV header the input cannot be read with: fatal in every `--on-error` mode (no
/// later line could be understood).
#[derive(Debug)]
struct BadHeader(String);

impl std::fmt::Display for BadHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad header: {}", self.0)
    }
}

impl std::error::Error for BadHeader {}

/// `text.trim()`, without its scan when `text` starts and ends with a printable ASCII
/// byte, as a CSV cell nearly always does.
fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Puts the first `cells.len()` cells of the CSV line `line`, trimmed, into `cells` (as
/// `line.split(',')` would cut them, in one pass over the bytes); returns how many.
fn split_cells<'a>(line: &'a str, cells: &mut [&'a str]) -> usize {
    let mut rest = line;
    let mut n = 0;
    for slot in cells.iter_mut() {
        n += 1;
        // a comma is one byte that no other character's encoding contains
        match find_comma(rest.as_bytes()) {
            Some(at) => {
                let (cell, after) = rest.split_at(at);
                *slot = trim(cell);
                rest = after.get(1..).unwrap_or("");
            }
            None => {
                *slot = trim(rest);
                break;
            }
        }
    }
    n
}

/// Where the first `,` of `bytes` is, read eight bytes at a time: in `w = chunk ^
/// ",,,,,,,,"` a comma is a zero byte, and the lowest byte flagged by
/// `(w - 0x01..01) & !w & 0x80..80` is the first zero (a borrow only flags bytes above one).
fn find_comma(bytes: &[u8]) -> Option<usize> {
    const COMMAS: u64 = u64::from_le_bytes([b','; 8]);
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let (words, rest) = bytes.as_chunks::<8>();
    for (k, word) in words.iter().enumerate() {
        let w = u64::from_le_bytes(*word) ^ COMMAS;
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(k * 8 + (zero.trailing_zeros() / 8) as usize);
        }
    }
    let at = words.len() * 8;
    rest.iter().position(|&b| b == b',').map(|i| at + i)
}

fn field_f64(name: &str, text: &str) -> anyhow::Result<f64> {
    parse_f64(trim(text)).ok_or_else(|| anyhow::anyhow!("{name} `{text}` is not a number"))
}

impl Parser {
    fn names(&self) -> &'static [&'static str] {
        if self.trades {
            &["timestamp", "price", "size"]
        } else {
            &["timestamp", "open", "high", "low", "close", "volume"]
        }
    }

    fn parse(&mut self, line: &str) -> anyhow::Result<Option<Record>> {
        let line = trim(line.strip_suffix('\n').unwrap_or(line));
        if line.is_empty() {
            return Ok(None);
        }
        let names = self.names();
        // the fields in `names` order, then the symbol
        let mut fields: [&str; 6] = [""; 6];
        let json;
        let symbol: Option<String>;
        if line.starts_with('{') {
            json = serde_json::from_str::<serde_json::Value>(line)
                .map_err(|e| anyhow::anyhow!("invalid JSON: {e}"))?;
            let mut owned: Vec<String> = Vec::with_capacity(names.len());
            for k in names {
                owned.push(match json.get(*k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v) if !v.is_null() => v.to_string(),
                    _ => bail!("missing field `{k}`"),
                });
            }
            symbol = json
                .get("symbol")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let side = json.get("side").and_then(|v| v.as_str()).unwrap_or("");
            return self.record(
                &owned.iter().map(String::as_str).collect::<Vec<_>>(),
                symbol,
                side,
            );
        }
        let mut cells: [&str; MAX_CELLS] = [""; MAX_CELLS];
        let n = split_cells(line, &mut cells);
        let Some((positions, symbol_at, side_at)) = &self.columns else {
            let find = |name: &str| cells[..n].iter().position(|c| c.eq_ignore_ascii_case(name));
            let mut positions = Vec::new();
            for k in names {
                positions.push(find(k).ok_or_else(|| {
                    BadHeader(format!(
                        "no `{k}` column (a {} input needs {})",
                        if self.trades { "trade" } else { "bar" },
                        names.join(", ")
                    ))
                })?);
            }
            self.columns = Some((positions, find("symbol"), find("side")));
            return Ok(None);
        };
        for (f, &p) in fields.iter_mut().zip(positions) {
            *f = cells.get(p).copied().filter(|_| p < n).with_context(|| {
                format!(
                    "missing field `{}`",
                    names[positions.iter().position(|&q| q == p).unwrap_or(0)]
                )
            })?;
        }
        symbol = symbol_at
            .and_then(|i| cells.get(i).filter(|_| i < n))
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string());
        let side = side_at
            .and_then(|i| cells.get(i).filter(|_| i < n))
            .copied()
            .unwrap_or("");
        self.record(&fields[..names.len()], symbol, side)
    }

    fn record(
        &self,
        f: &[&str],
        symbol: Option<String>,
        side: &str,
    ) -> anyhow::Result<Option<Record>> {
        let timestamp = f[0];
        let ts = parse_timestamp(timestamp).ok_or_else(|| {
            anyhow::anyhow!("timestamp `{timestamp}` is not RFC 3339 or unix seconds")
        })?;
        if self.trades {
            let (price, size) = (field_f64("price", f[1])?, field_f64("size", f[2])?);
            let side = match side.to_ascii_lowercase().as_str() {
                "" => None,
                "buy" | "b" => Some(Side::Buy),
                "sell" | "s" => Some(Side::Sell),
                other => bail!("side `{other}` is not buy, sell or empty"),
            };
            return Ok(Some(Record::Trade {
                symbol,
                trade: Trade::new(ts, price, size, side)?,
            }));
        }
        let mut v = [0.0; 5];
        for ((slot, k), text) in v
            .iter_mut()
            .zip(["open", "high", "low", "close", "volume"])
            .zip(&f[1..])
        {
            *slot = field_f64(k, text)?;
        }
        let bar = Bar::new(ts, v[0], v[1], v[2], v[3], v[4])?;
        Ok(Some(Record::Bar {
            timestamp: timestamp.to_string(),
            symbol,
            bar,
        }))
    }
}

/// When an [`Emitter`] hands its lines to its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handoff {
    /// Each line as it is made (a caller that takes every line from a `Vec`).
    EachLine,
    /// Each line, then a flush (a pipe or a terminal sees every decision at once).
    EachLineFlushed,
    /// Whole lines in batches of about [`BATCH_BYTES`] (a file): the lines are made in
    /// the batch itself, so no byte is copied on its way to the output but by the write.
    Batched,
}

/// The size at which a batch of lines is written: 256 KiB, a quarter of the write calls
/// of 64 KiB and inside a core's L2 (less kernel time than either 64 KiB or 1 MiB;
/// README, Performance).
const BATCH_BYTES: usize = 1 << 18;

/// Writes the decisions.
struct Emitter<W: Write> {
    out: W,
    /// The declared universe's size: each line then says how many members its
    /// timestamp was decided with.
    universe: Option<usize>,
    /// Lines made and not yet handed to `out`.
    buf: String,
    format: Format,
    models: Vec<String>,
    /// `models` as JSON strings, escaped once.
    models_json: Vec<String>,
    features: Option<Vec<String>>,
    handoff: Handoff,
    header_done: bool,
}

/// A number written into a line, whose text a later field with the same value copies
/// (the meta signal and the signal strength are often the weighted signal).
struct Written {
    bits: u64,
    text: std::ops::Range<usize>,
}

impl Written {
    /// Appends `v` to `s` by `push`.
    fn new(s: &mut String, v: f64, push: fn(&mut String, f64)) -> Self {
        let start = s.len();
        push(s, v);
        Written {
            bits: v.to_bits(),
            text: start..s.len(),
        }
    }

    /// Appends `v` by `push`, or copies this number's text when `v` has its bits.
    fn again(&self, s: &mut String, v: f64, push: fn(&mut String, f64)) {
        if v.to_bits() == self.bits {
            s.extend_from_within(self.text.clone());
        } else {
            push(s, v);
        }
    }
}

/// `,"name":`, the start of a JSON field after the first.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}

impl<W: Write> Emitter<W> {
    /// An emitter of `template`'s decisions (its model names, and its feature names
    /// with `emit_features`) into `out`.
    fn new(
        out: W,
        template: &Pipeline<'_, f64>,
        format: Format,
        universe: Option<usize>,
        emit_features: bool,
        handoff: Handoff,
    ) -> Self {
        let models: Vec<String> = template
            .model_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let models_json = models
            .iter()
            .map(|m| {
                let mut s = String::new();
                push_json_str(&mut s, m);
                s
            })
            .collect();
        let schema = template.feature_set().schema();
        Emitter {
            out,
            universe,
            // a batch and the line that ends it, or one line
            buf: String::with_capacity(if handoff == Handoff::Batched {
                BATCH_BYTES + 4096
            } else {
                4096
            }),
            format,
            models,
            models_json,
            features: emit_features.then(|| schema.ids().iter().map(|i| i.to_string()).collect()),
            handoff,
            header_done: false,
        }
    }

    /// Hands the lines made so far to `out`.
    fn hand_over(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Hands the lines made so far to `out` and flushes it.
    fn flush(&mut self) -> std::io::Result<()> {
        self.hand_over()?;
        self.out.flush()
    }

    /// Writes `decision`, which `session` completed as `d`; the pipeline that made it.
    fn emit_decided<'s, 'b>(
        &mut self,
        session: &'s Session<'b, u64>,
        d: &Decided<u64>,
        decision: &Decision<f64>,
    ) -> anyhow::Result<&'s Pipeline<'b, f64>> {
        let p = session.pipeline(d.pipeline).context("pipeline")?;
        self.emit(
            &d.timestamp,
            d.symbol.as_deref(),
            decision,
            p.features().values(),
            d.members,
        )?;
        Ok(p)
    }

    fn emit(
        &mut self,
        timestamp: &str,
        symbol: Option<&str>,
        d: &Decision<f64>,
        features: &[f64],
        members: usize,
    ) -> std::io::Result<()> {
        let a = &d.arbitration;
        match self.format {
            Format::Jsonl => {
                let s = &mut self.buf;
                s.push_str("{\"timestamp\":");
                push_json_str(s, timestamp);
                s.push_str(",\"symbol\":");
                match symbol {
                    Some(x) => push_json_str(s, x),
                    None => s.push_str("null"),
                }
                s.push_str(",\"predictions\":{");
                for (i, (name, p)) in self.models_json.iter().zip(&d.predictions).enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(name);
                    s.push(':');
                    push_json(s, *p);
                }
                let field = |s: &mut String, key: &str, v: f64| {
                    s.push_str(key);
                    push_json(s, v);
                };
                let text = |s: &mut String, key: &str, v: &str| {
                    s.push_str(key);
                    s.push('"');
                    s.push_str(v);
                    s.push('"');
                };
                s.push('}');
                text(s, key!("signal"), a.signal.name());
                field(s, key!("confidence"), a.confidence);
                s.push_str(key!("weighted_signal"));
                let weighted = Written::new(s, a.weighted_signal, push_json);
                text(s, key!("signal_source"), a.signal_source.name());
                field(s, key!("weighted_sum"), a.weighted_sum);
                s.push_str(key!("meta_signal"));
                weighted.again(s, a.meta_signal.unwrap_or(f64::NAN), push_json);
                s.push_str(key!("signal_strength"));
                weighted.again(s, a.signal_strength, push_json);
                field(s, key!("consensus_ratio"), a.consensus_ratio);
                s.push_str(key!("n_active_strategies"));
                s.push_str(itoa::Buffer::new().format(a.n_active_strategies));
                text(s, key!("regime"), a.regime.name());
                field(s, key!("regime_confidence"), a.regime_confidence);
                s.push_str(",\"strategy_breakdown\":[");
                for (i, b) in a.strategy_breakdown.iter().enumerate() {
                    s.push_str(if i > 0 { ",{" } else { "{" });
                    s.push_str("\"strategy_id\":");
                    s.push_str(itoa::Buffer::new().format(b.strategy_id));
                    s.push_str(key!("name"));
                    s.push_str(self.models_json.get(i).map_or("\"\"", String::as_str));
                    text(s, key!("signal"), b.signal.name());
                    field(s, key!("confidence"), b.confidence);
                    field(s, key!("weight"), b.weight);
                    s.push_str(if b.active {
                        ",\"active\":true"
                    } else {
                        ",\"active\":false"
                    });
                    s.push_str(if b.silenced {
                        ",\"silenced\":true"
                    } else {
                        ",\"silenced\":false"
                    });
                    field(s, key!("score"), b.score.unwrap_or(f64::NAN));
                    field(s, key!("contribution"), b.contribution);
                    s.push('}');
                }
                s.push(']');
                if let Some(n) = self.universe {
                    s.push_str(",\"cross_section\":{\"members\":");
                    s.push_str(itoa::Buffer::new().format(members));
                    s.push_str(",\"universe\":");
                    s.push_str(itoa::Buffer::new().format(n));
                    s.push('}');
                }
                if let Some(names) = &self.features {
                    s.push_str(",\"features\":{");
                    for (i, (n, v)) in names.iter().zip(features).enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        push_json_str(s, n);
                        s.push(':');
                        push_json(s, *v);
                    }
                    s.push('}');
                }
                s.push_str("}\n");
            }
            Format::Csv => {
                use std::fmt::Write as _;
                if !self.header_done {
                    let mut h = String::from("timestamp,symbol");
                    self.models.iter().for_each(|m| {
                        let _ = write!(h, ",{m}");
                    });
                    h.push_str(",signal,confidence,weighted_signal,signal_source,weighted_sum,meta_signal,signal_strength,consensus_ratio,n_active_strategies,regime,regime_confidence");
                    self.models.iter().for_each(|m| {
                        let _ = write!(h, ",weight_{m}");
                    });
                    if self.universe.is_some() {
                        h.push_str(",cross_section_members,universe_members");
                    }
                    if let Some(names) = &self.features {
                        names.iter().for_each(|n| {
                            let _ = write!(h, ",{n}");
                        });
                    }
                    h.push('\n');
                    self.buf.push_str(&h);
                    self.header_done = true;
                }
                let s = &mut self.buf;
                s.push_str(timestamp);
                s.push(',');
                s.push_str(symbol.unwrap_or(""));
                let cell = |s: &mut String, v: f64| {
                    s.push(',');
                    push_cell(s, v);
                };
                for p in &d.predictions {
                    cell(s, *p);
                }
                s.push(',');
                s.push_str(a.signal.name());
                cell(s, a.confidence);
                s.push(',');
                let weighted = Written::new(s, a.weighted_signal, push_cell);
                s.push(',');
                s.push_str(a.signal_source.name());
                cell(s, a.weighted_sum);
                s.push(',');
                weighted.again(s, a.meta_signal.unwrap_or(f64::NAN), push_cell);
                s.push(',');
                weighted.again(s, a.signal_strength, push_cell);
                cell(s, a.consensus_ratio);
                s.push(',');
                s.push_str(itoa::Buffer::new().format(a.n_active_strategies));
                s.push(',');
                s.push_str(a.regime.name());
                cell(s, a.regime_confidence);
                for b in &a.strategy_breakdown {
                    cell(s, b.weight);
                }
                if let Some(n) = self.universe {
                    s.push(',');
                    s.push_str(itoa::Buffer::new().format(members));
                    s.push(',');
                    s.push_str(itoa::Buffer::new().format(n));
                }
                if self.features.is_some() {
                    for v in features {
                        cell(s, *v);
                    }
                }
                s.push('\n');
            }
        }
        match self.handoff {
            Handoff::Batched if self.buf.len() < BATCH_BYTES => Ok(()),
            Handoff::EachLine | Handoff::Batched => self.hand_over(),
            Handoff::EachLineFlushed => self.flush(),
        }
    }
}

impl<W: Write> Drop for Emitter<W> {
    /// Hands over the lines made before an early return, as a `BufWriter` would.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// True when standard output is a regular file (then output is buffered; a pipe or a
/// terminal gets each decision at once).
fn stdout_is_file() -> bool {
    std::fs::metadata("/dev/stdout")
        .map(|m| m.is_file())
        .unwrap_or(false)
}

/// Streams the input through the bundle.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let owned;
    let bundle: &[u8] = match &args.bundle {
        Some(path) => {
            owned =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            &owned
        }
        None => DEFAULT_BUNDLE,
    };
    if args.nats.enabled() {
        return nats::run(&args.nats, args, bundle);
    }
    let template =
        Pipeline::<f64>::from_bundle(bundle).map_err(|e| anyhow::anyhow!("bundle: {e}"))?;
    let summary_names: Vec<String> = template
        .model_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rule = match (
        args.bars.as_deref().map(parse_bar_rule).transpose()?,
        template.bar_rule(),
    ) {
        (Some(asked), Some(bundled)) if asked != bundled => bail!(
            "--bars {}: the bundle builds its own bars ({bundled:?}); drop --bars or use its rule",
            args.bars.as_deref().unwrap_or("")
        ),
        (asked, bundled) => asked.or(bundled),
    };
    let mut parser = Parser {
        columns: None,
        trades: rule.is_some(),
    };
    let mut building: HashMap<Option<String>, BarBuilder<f64>> = HashMap::new();
    let asked: Option<Vec<String>> = args
        .universe
        .as_deref()
        .map(|u| u.split(',').map(|s| s.trim().to_string()).collect());
    let declared: Vec<String> = template.universe().iter().map(str::to_string).collect();
    let universe = match (asked, declared.is_empty()) {
        (None, true) => None,
        (None, false) => Some(declared),
        (Some(asked), true) => Some(asked),
        (Some(mut asked), false) => {
            let mut bundled = declared.clone();
            asked.sort();
            bundled.sort();
            if asked != bundled {
                bail!(
                    "--universe {}: the bundle declares its universe ({}); drop --universe or name the same members",
                    args.universe.as_deref().unwrap_or(""),
                    declared.join(",")
                );
            }
            Some(declared)
        }
    };
    let universe_declared = universe.is_some();
    let mut emitter = Emitter::new(
        std::io::stdout().lock(),
        &template,
        args.format,
        universe.as_ref().map(Vec::len),
        args.emit_features,
        if stdout_is_file() {
            Handoff::Batched
        } else {
            Handoff::EachLineFlushed
        },
    );
    let mut scorer_records = vec![ScorerRecord::default(); template.scorer_records_needed()];
    let mut session: Session<'_, u64> = Session::new(
        bundle,
        Grouping::ByTimestamp,
        args.max_symbols,
        universe.clone(),
    )?;
    session.lay_out_trees(&mut scorer_records)?;
    let mut decided: Vec<Decided<u64>> = Vec::new();
    let summary = (
        args.summary_every.filter(|&n| n > 0),
        summary_names.as_slice(),
    );
    let (mut read, mut emitted) = (0u64, 0u64);
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let started = Instant::now();
    let input = io::open_input(&args.input)?;
    let mut reader = std::io::BufReader::new(input);
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .context("cannot read the input")?
            == 0
        {
            break;
        }
        number += 1;
        let outcome: anyhow::Result<()> = (|| {
            let Some(record) = parser.parse(&line)? else {
                return Ok(());
            };
            read += 1;
            // a refused bar may still have completed an earlier timestamp: its
            // decisions are written before the refusal is reported
            let offered = match record {
                Record::Bar {
                    timestamp,
                    symbol,
                    bar,
                } => session.offer(number, symbol, timestamp, bar, false, &mut decided),
                Record::Trade { symbol, trade } => {
                    let Some(rule) = rule else {
                        bail!("trades need a bar rule (--bars, or a bundle trained with one)");
                    };
                    if !building.contains_key(&symbol) && building.len() >= args.max_symbols {
                        bail!("more than {} symbols", args.max_symbols);
                    }
                    let builder = match building.entry(symbol.clone()) {
                        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(BarBuilder::new(rule)?)
                        }
                    };
                    match builder.on_trade(&trade)? {
                        Some(bar) => {
                            let ts = format_timestamp(bar.timestamp());
                            session.offer(number, symbol, ts, bar, true, &mut decided)
                        }
                        None => Ok(()),
                    }
                }
            };
            report(&session, &mut decided, &mut emitter, summary, &mut emitted)?;
            Ok(offered?)
        })();
        if let Err(e) = outcome {
            if io::is_broken_pipe(&e) {
                return Ok(());
            }
            if e.downcast_ref::<BadHeader>().is_some() {
                bail!("line {number}: {e:#}");
            }
            eprintln!("tickml stream: line {number}: {e:#}");
            let text = format!("{e:#}");
            let reason = text
                .split(['`', ':'])
                .next()
                .unwrap_or("error")
                .trim()
                .to_string();
            *skipped.entry(reason).or_default() += 1;
            if args.on_error == OnError::Fail {
                bail!("stopped at line {number}");
            }
        }
    }
    // time bars still open at the end of the input are complete as far as it knows
    let mut open: Vec<(Option<String>, BarBuilder<f64>)> = building.into_iter().collect();
    open.sort_by(|a, b| a.0.cmp(&b.0));
    let mut last: Vec<(Option<String>, Bar<f64>)> = Vec::new();
    for (symbol, mut builder) in open {
        if let Some(bar) = builder.finish()? {
            last.push((symbol, bar));
        }
    }
    last.sort_by_key(|(s, b)| (b.timestamp(), s.clone()));
    let mut ending: anyhow::Result<()> = Ok(());
    for (symbol, bar) in last {
        let ts = format_timestamp(bar.timestamp());
        let offered = session.offer(number, symbol, ts, bar, true, &mut decided);
        ending = report(&session, &mut decided, &mut emitter, summary, &mut emitted)
            .and_then(|()| Ok(offered?));
        if ending.is_err() {
            break;
        }
    }
    if ending.is_ok() {
        session.finish(&mut decided);
        ending = report(&session, &mut decided, &mut emitter, summary, &mut emitted);
    }
    match ending {
        Err(e) if io::is_broken_pipe(&e) => return Ok(()),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    if let Err(e) = emitter.flush() {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(());
        }
        return Err(e.into());
    }
    for (symbol, p) in session.symbols() {
        print_summary(symbol, &summary_names, p);
    }
    let secs = started.elapsed().as_secs_f64();
    let skipped_total: u64 = skipped.values().sum();
    let reasons: Vec<String> = skipped.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    eprintln!(
        "tickml stream: {read} records read, {emitted} decisions, {skipped_total} lines skipped{}{}, {:.0} bars/s",
        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join("; ")) },
        if universe_declared {
            format!(", {} cross-sections decided without every member", session.incomplete())
        } else {
            String::new()
        },
        emitted as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Writes the decisions `session` completed (draining `decided`), each with its
/// pipeline's features, counts them in `written`, and prints a symbol's summary every
/// `summary.0` of its bars. A decision the core refused is reported after the others
/// are written.
fn report<W: Write>(
    session: &Session<'_, u64>,
    decided: &mut Vec<Decided<u64>>,
    emitter: &mut Emitter<W>,
    summary: (Option<u64>, &[String]),
    written: &mut u64,
) -> anyhow::Result<()> {
    let mut refused = None;
    // read in place and cleared after, rather than moved out one by one
    let emitted: anyhow::Result<()> = decided.iter().try_for_each(|d| {
        let decision = match &d.decision {
            Ok(decision) => decision,
            Err(e) => {
                refused.get_or_insert(e.clone());
                return Ok(());
            }
        };
        let p = emitter.emit_decided(session, d, decision)?;
        *written += 1;
        if let Some(n) = summary.0 {
            if p.feature_set().bars_seen() % n == 0 {
                print_summary(d.symbol.as_deref(), summary.1, p);
            }
        }
        Ok(())
    });
    decided.clear();
    emitted?;
    match refused {
        Some(e) => Err(anyhow::anyhow!("{e}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{find_comma, split_cells, trim};

    /// The first comma is where a byte-by-byte search finds it, for every length and
    /// place up to three words and a tail, among bytes that differ from a comma by one
    /// bit or by the borrow of the word test (`-`, `+`, `.`, 0x2c + 0x80).
    #[test]
    fn find_comma_is_position() {
        let fillers = [b'-', b'+', b'.', b'0', 0xac, 0x2d, 0x0c, 0x00, 0xff];
        for len in 0..28 {
            for filler in fillers {
                let mut bytes = vec![filler; len];
                assert_eq!(find_comma(&bytes), None, "{bytes:?}");
                for at in 0..len {
                    bytes[at] = b',';
                    let expected = bytes.iter().position(|&b| b == b',');
                    assert_eq!(find_comma(&bytes), expected, "{bytes:?}");
                    // a second comma after it changes nothing
                    if let Some(after) = bytes.get_mut(at + 3) {
                        *after = b',';
                        assert_eq!(find_comma(&bytes), expected, "{bytes:?}");
                        bytes[at + 3] = filler;
                    }
                    bytes[at] = filler;
                }
            }
        }
    }

    /// The cells are `split(',')`'s, trimmed, as many as fit.
    #[test]
    fn split_cells_is_split_and_trim() {
        for line in [
            "",
            ",",
            "a",
            "a,b",
            " a , b ,",
            ",,,",
            "1577836800,100.000000,100.040293,99.971183,100.013285,5810",
            "é,ü, x ,\u{3000}7",
            "1,2,3,4,5,6,7,8,9",
        ] {
            for width in [0, 1, 3, 9, 32] {
                let mut cells = [""; 32];
                let n = split_cells(line, &mut cells[..width]);
                let expected: Vec<&str> = line.split(',').map(str::trim).take(width).collect();
                assert_eq!(
                    &cells[..n],
                    expected.as_slice(),
                    "{line:?} in {width} cells"
                );
            }
        }
    }

    /// The shortcut trims as `str::trim` does, Unicode white space included.
    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r",
            "100.5",
            "1,2",
            "\u{a0}7",
            "7\u{3000}",
            "é",
            " é ",
            "\u{85}x\u{85}",
            "x\u{2028}",
            "ab\n",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }
}
