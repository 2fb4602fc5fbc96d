//! OHLCV CSV input: header `timestamp,open,high,low,close,volume` (any column order,
//! extra columns ignored, optional `symbol`), timestamps RFC 3339 or integer unix
//! seconds. Every row is validated into a [`Bar`]; a bad row is an error that names its
//! line and what is wrong, never a silent skip.
//!
//! Trades (`timestamp,price,size`, optional `side` = buy / sell / empty) become bars by
//! the core's [`BarBuilder`], the same builder a deployment runs
//! ([`load_input`] with a [`BarRule`]).

use std::io::Read;
use std::path::Path;

use tickml_core::bars::{BarBuilder, BarRule, Side, Trade};
use tickml_core::Bar;

/// What can go wrong reading bars.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The header lacks a required column.
    #[error("header: missing column `{0}`")]
    MissingColumn(&'static str),
    /// A row is not valid CSV or lacks a field.
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number in the input (the header is line 1).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A field is not a number or not a timestamp.
    #[error("line {line}: {field} `{text}` is not {expected}")]
    Parse {
        /// 1-based line number.
        line: u64,
        /// Column name.
        field: &'static str,
        /// The offending text.
        text: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The values do not make a valid bar, or the timestamp does not increase.
    #[error("line {line}: {source}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// The core's reason.
        source: tickml_core::Error,
    },
}

impl DataError {
    /// The 1-based input line the error is about, if any.
    pub fn line(&self) -> Option<u64> {
        match self {
            DataError::Malformed { line, .. }
            | DataError::Parse { line, .. }
            | DataError::Invalid { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// One validated input row.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRecord {
    /// 1-based line number in the input.
    pub line: u64,
    /// The timestamp exactly as written in the input.
    pub timestamp_text: String,
    /// The symbol column, if the input has one.
    pub symbol: Option<String>,
    /// The validated bar.
    pub bar: Bar<f64>,
}

/// A buffered file, or an error naming it.
fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, DataError> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|source| DataError::Io {
            path: path.display().to_string(),
            source,
        })
}

/// A trimming, flexible CSV reader of `input` and its header (line 1).
fn csv_with_header<R: Read>(input: R) -> Result<(csv::Reader<R>, csv::StringRecord), DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| DataError::Malformed {
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    Ok((reader, header))
}

/// A unix-ns timestamp as RFC 3339 UTC with as many fractional digits as it needs (the
/// stamp of a bar made from trades).
pub fn format_timestamp(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses an RFC 3339 timestamp or integer unix seconds into unix nanoseconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds.checked_mul(1_000_000_000);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

/// Streams validated bars from CSV.
pub struct BarReader<R: Read> {
    records: csv::StringRecordsIntoIter<R>,
    columns: [usize; 6],
    symbol: Option<usize>,
}

const COLUMNS: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];

impl<R: Read> BarReader<R> {
    /// Reads the header of `input`.
    pub fn new(input: R) -> Result<Self, DataError> {
        let (reader, header) = csv_with_header(input)?;
        let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
        let mut columns = [0usize; 6];
        for (slot, name) in columns.iter_mut().zip(COLUMNS) {
            *slot = find(name).ok_or(DataError::MissingColumn(name))?;
        }
        let symbol = find("symbol");
        Ok(BarReader {
            records: reader.into_records(),
            columns,
            symbol,
        })
    }

    fn parse(&self, record: &csv::StringRecord) -> Result<BarRecord, DataError> {
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| -> Result<&str, DataError> {
            let index = self.columns[i];
            record.get(index).ok_or_else(|| DataError::Malformed {
                line,
                reason: format!("missing field `{}`", COLUMNS[i]),
            })
        };
        let timestamp_text = field(0)?;
        let timestamp = parse_timestamp(timestamp_text).ok_or_else(|| DataError::Parse {
            line,
            field: "timestamp",
            text: timestamp_text.to_string(),
            expected: "an RFC 3339 time or integer unix seconds",
        })?;
        let mut values = [0.0f64; 5];
        for (i, value) in values.iter_mut().enumerate() {
            let text = field(i + 1)?;
            *value = text.parse().map_err(|_| DataError::Parse {
                line,
                field: COLUMNS[i + 1],
                text: text.to_string(),
                expected: "a number",
            })?;
        }
        let [open, high, low, close, volume] = values;
        let bar = Bar::new(timestamp, open, high, low, close, volume)
            .map_err(|source| DataError::Invalid { line, source })?;
        Ok(BarRecord {
            line,
            timestamp_text: timestamp_text.to_string(),
            symbol: self.symbol.and_then(|i| record.get(i)).map(str::to_string),
            bar,
        })
    }
}

impl<R: Read> Iterator for BarReader<R> {
    type Item = Result<BarRecord, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.next()?;
        Some(match record {
            Ok(record) => self.parse(&record),
            Err(e) => Err(DataError::Malformed {
                line: e.position().map_or(0, |p| p.line()),
                reason: e.to_string(),
            }),
        })
    }
}

/// Reads a whole OHLCV file; the first bad row is an error naming its line. One series:
/// timestamps strictly increase. With a `symbol` column (long format, a universe): rows
/// are in time order (timestamps never decrease, any symbol order within a timestamp)
/// and each symbol's timestamps strictly increase.
pub fn load_bars(path: impl AsRef<Path>) -> Result<Vec<BarRecord>, DataError> {
    let file = open(path.as_ref())?;
    let mut bars: Vec<BarRecord> = Vec::new();
    let mut last: std::collections::HashMap<Option<String>, i64> = Default::default();
    for record in BarReader::new(file)? {
        let record = record?;
        let ts = record.bar.timestamp();
        let refused = |previous: i64| DataError::Invalid {
            line: record.line,
            source: tickml_core::Error::TimestampNotIncreasing { previous, got: ts },
        };
        if let Some(&previous) = last.get(&record.symbol) {
            if ts <= previous {
                return Err(refused(previous));
            }
        }
        if let Some(prev) = bars.last() {
            if ts < prev.bar.timestamp() {
                return Err(DataError::Malformed {
                    line: record.line,
                    reason: format!(
                        "rows are not in time order (this bar is before line {}'s): sort the file by timestamp",
                        prev.line
                    ),
                });
            }
        }
        last.insert(record.symbol.clone(), ts);
        bars.push(record);
    }
    Ok(bars)
}

/// The symbols of `records` in first-seen order (none for a file without a `symbol`
/// column).
pub fn symbols(records: &[BarRecord]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in records {
        if let Some(s) = &r.symbol {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// A bar rule's text that does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bars `{text}`: {reason}")]
pub struct BadBarRule {
    /// The text.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

/// Parses a bar rule: `time:30s` (`ms`, `s`, `m`, `h`, `d`), `tick:N`, `volume:X`,
/// `dollar:X`, and `<tick|volume|dollar>-<imbalance|run>:E0` with optional
/// `,span=S,bound=B` (defaults 20 and 10); the rule is then checked by the core.
pub fn parse_bar_rule(text: &str) -> Result<BarRule, BadBarRule> {
    use tickml_core::bars::{Information, Measure};
    let bad = |reason: &str| BadBarRule {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    let (kind, rest) = text
        .split_once(':')
        .ok_or_else(|| bad("expected kind:value, e.g. dollar:1e6"))?;
    let mut parts = rest.split(',');
    let value = parts.next().unwrap_or("").trim();
    let number = |v: &str| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| bad("the value is not a number"))
    };
    let count = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| bad("the value is not a count"))
    };
    let rule = match kind.trim() {
        "time" => {
            let digits = value
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(value.len());
            let (n, unit) = value.split_at(digits);
            let n: i64 = n.parse().map_err(|_| bad("bad duration"))?;
            let unit: i64 = match unit {
                "ms" => 1_000_000,
                "s" | "" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                "d" => 86_400_000_000_000,
                _ => return Err(bad("time unit: use ms, s, m, h or d")),
            };
            BarRule::Time {
                width_ns: n
                    .checked_mul(unit)
                    .ok_or_else(|| bad("duration too long"))?,
            }
        }
        "tick" => BarRule::Tick {
            trades: count(value)?,
        },
        "volume" => BarRule::Volume {
            volume: number(value)?,
        },
        "dollar" => BarRule::Dollar {
            dollars: number(value)?,
        },
        other => {
            let kinds =
                "kind: use time, tick, volume, dollar or <tick|volume|dollar>-<imbalance|run>";
            let (measure, shape) = other.split_once('-').ok_or_else(|| bad(kinds))?;
            let measure = match measure {
                "tick" => Measure::Ticks,
                "volume" => Measure::Volume,
                "dollar" => Measure::Dollars,
                _ => return Err(bad(kinds)),
            };
            let mut info = Information {
                measure,
                expected_trades: count(value)?,
                span: 20,
                bound: 10,
            };
            for option in parts.by_ref() {
                let (key, v) = option
                    .split_once('=')
                    .ok_or_else(|| bad("options are key=value"))?;
                let v: u16 = v
                    .trim()
                    .parse()
                    .map_err(|_| bad("an option's value is not a count"))?;
                match key.trim() {
                    "span" => info.span = v,
                    "bound" => info.bound = v,
                    _ => return Err(bad("options: span, bound")),
                }
            }
            match shape {
                "imbalance" => BarRule::Imbalance(info),
                "run" => BarRule::Run(info),
                _ => return Err(bad(kinds)),
            }
        }
    };
    if parts.next().is_some() {
        return Err(bad("only information-driven bars take options"));
    }
    rule.check().map_err(|e| bad(&e.to_string()))?;
    Ok(rule)
}

/// One validated trade row.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRecord {
    /// 1-based line number in the input.
    pub line: u64,
    /// The symbol column, if the input has one.
    pub symbol: Option<String>,
    /// The validated trade.
    pub trade: Trade<f64>,
}

/// Reads a whole trade file (`timestamp,price,size[,side][,symbol]`); the first bad row
/// (including a timestamp before the previous one) is an error naming its line.
pub fn load_trades(path: impl AsRef<Path>) -> Result<Vec<TradeRecord>, DataError> {
    read_trades(open(path.as_ref())?)
}

/// [`load_trades`] from any reader.
pub fn read_trades<R: Read>(input: R) -> Result<Vec<TradeRecord>, DataError> {
    let (reader, header) = csv_with_header(input)?;
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    const NAMES: [&str; 3] = ["timestamp", "price", "size"];
    let mut columns = [0usize; 3];
    for (slot, name) in columns.iter_mut().zip(NAMES) {
        *slot = find(name).ok_or(DataError::MissingColumn(name))?;
    }
    let (side_at, symbol_at) = (find("side"), find("symbol"));
    let mut out: Vec<TradeRecord> = Vec::new();
    for record in reader.into_records() {
        let record = record.map_err(|e| DataError::Malformed {
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| {
            record.get(columns[i]).ok_or_else(|| DataError::Malformed {
                line,
                reason: format!("missing field `{}`", NAMES[i]),
            })
        };
        let text = field(0)?;
        let timestamp = parse_timestamp(text).ok_or_else(|| DataError::Parse {
            line,
            field: "timestamp",
            text: text.to_string(),
            expected: "an RFC 3339 time or integer unix seconds",
        })?;
        let number = |i: usize| -> Result<f64, DataError> {
            let text = field(i)?;
            text.parse().map_err(|_| DataError::Parse {
                line,
                field: NAMES[i],
                text: text.to_string(),
                expected: "a number",
            })
        };
        let side_text = side_at.and_then(|i| record.get(i)).unwrap_or("");
        let side = match side_text.to_ascii_lowercase().as_str() {
            "" => None,
            "buy" | "b" => Some(Side::Buy),
            "sell" | "s" => Some(Side::Sell),
            _ => {
                return Err(DataError::Parse {
                    line,
                    field: "side",
                    text: side_text.to_string(),
                    expected: "buy, sell or empty",
                })
            }
        };
        let trade = Trade::new(timestamp, number(1)?, number(2)?, side)
            .map_err(|source| DataError::Invalid { line, source })?;
        if let Some(prev) = out.last() {
            if timestamp < prev.trade.timestamp() {
                return Err(DataError::Invalid {
                    line,
                    source: tickml_core::Error::TimestampDecreasing {
                        previous: prev.trade.timestamp(),
                        got: timestamp,
                    },
                });
            }
        }
        out.push(TradeRecord {
            line,
            symbol: symbol_at.and_then(|i| record.get(i)).map(str::to_string),
            trade,
        });
    }
    Ok(out)
}

/// The bars `rule` makes of one symbol's trades, through the core's [`BarBuilder`] (a
/// time bar still open at the end is included, partial bars of other rules are not).
/// Each bar's `timestamp_text` is its RFC 3339 stamp and `line` the input line of the
/// trade that completed it.
pub fn bars_from_trades(
    trades: &[TradeRecord],
    rule: BarRule,
) -> Result<Vec<BarRecord>, DataError> {
    let mut builder =
        BarBuilder::<f64>::new(rule).map_err(|source| DataError::Invalid { line: 0, source })?;
    let first_symbol = trades.first().and_then(|t| t.symbol.clone());
    let record = |line: u64, bar: Bar<f64>| BarRecord {
        line,
        timestamp_text: format_timestamp(bar.timestamp()),
        symbol: first_symbol.clone(),
        bar,
    };
    let mut out = Vec::new();
    for t in trades {
        if t.symbol != first_symbol {
            return Err(DataError::Malformed {
                line: t.line,
                reason: "trades of more than one symbol: research takes one series".into(),
            });
        }
        let bar = builder
            .on_trade(&t.trade)
            .map_err(|source| DataError::Invalid {
                line: t.line,
                source,
            })?;
        out.extend(bar.map(|b| record(t.line, b)));
    }
    let last_line = trades.last().map_or(0, |t| t.line);
    let last = builder.finish().map_err(|source| DataError::Invalid {
        line: last_line,
        source,
    })?;
    out.extend(last.map(|b| record(last_line, b)));
    Ok(out)
}

/// Bars from `path`: an OHLCV file, or with `rule` a trade file made into bars.
pub fn load_input(
    path: impl AsRef<Path>,
    rule: Option<BarRule>,
) -> Result<Vec<BarRecord>, DataError> {
    match rule {
        None => load_bars(path),
        Some(rule) => bars_from_trades(&load_trades(path)?, rule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_both_forms() {
        assert_eq!(
            parse_timestamp("1970-01-02T00:00:00Z"),
            Some(86_400_000_000_000)
        );
        assert_eq!(parse_timestamp("86400"), Some(86_400_000_000_000));
        assert_eq!(
            parse_timestamp("2008-10-10T00:00:00+02:00"),
            Some(1_223_589_600_000_000_000)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let csv = "timestamp,open,high,low,close,volume\n\
                   1,10,11,9,10,5\n\
                   2,10,11,9,x,5\n";
        let rows: Vec<_> = BarReader::new(csv.as_bytes()).unwrap().collect();
        assert!(rows[0].is_ok());
        let err = rows[1].as_ref().unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert_eq!(err.to_string(), "line 3: close `x` is not a number");
        let csv = "timestamp,open,high,low,close,volume\n1,10,9,11,10,5\n";
        let err = BarReader::new(csv.as_bytes())
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(err.to_string(), "line 2: high is below low");
    }

    #[test]
    fn missing_column_is_named() {
        let err = BarReader::new("timestamp,open,high,low,close\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "header: missing column `volume`");
    }
}
