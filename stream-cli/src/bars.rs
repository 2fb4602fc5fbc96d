//! `tickml bars`: trades in, the bars a rule makes of them out (CSV), through the core's
//! builder, for inspection.

use std::io::Write;

use tickml_train::data::{bars_from_trades, parse_bar_rule, read_trades};

use crate::io;

/// Arguments of `tickml bars`.
#[derive(clap::Args)]
pub struct Args {
    /// Trades: CSV `timestamp,price,size[,side][,symbol]` (one symbol); `-` is stdin.
    #[arg(long, default_value = "-")]
    input: String,
    /// The rule: time:1m, tick:N, volume:X, dollar:X, tick-imbalance:E0,
    /// volume-imbalance:E0, dollar-imbalance:E0, tick-run:E0, volume-run:E0,
    /// dollar-run:E0 (options ,span=S,bound=B).
    #[arg(long)]
    bars: String,
}

/// Prints `timestamp,open,high,low,close,volume,trade_line` (the input line of the trade
/// that completed the bar), then on stderr what the input made.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let rule = parse_bar_rule(&args.bars)?;
    let trades = read_trades(io::open_input(&args.input)?)?;
    let bars = bars_from_trades(&trades, rule)?;
    let mut out = io::stdout();
    writeln!(out, "timestamp,open,high,low,close,volume,trade_line")?;
    for r in &bars {
        let b = &r.bar;
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.timestamp_text,
            b.open(),
            b.high(),
            b.low(),
            b.close(),
            b.volume(),
            r.line
        )?;
    }
    out.flush()?;
    let mean = trades.len() as f64 / bars.len().max(1) as f64;
    eprintln!(
        "tickml bars: {} trades, {} bars ({mean:.1} trades a bar)",
        trades.len(),
        bars.len()
    );
    Ok(())
}
