//! `bars/<rule>`: one trade through the core's bar builder (the trade fixture's 6,000
//! trades, cycled with advancing timestamps; criterion's time is per lap of 6,000
//! trades, its throughput per trade). Timestamps are the fixture's offsets in µs read as
//! ns, so a long run of laps cannot overflow them.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use tickml_core::bars::{BarBuilder, Trade};
use tickml_train::data::parse_bar_rule;

fn trades() -> Vec<Trade<f64>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trades.csv");
    tickml_train::data::load_trades(path)
        .unwrap()
        .into_iter()
        .map(|r| r.trade)
        .collect::<Vec<_>>()
        .iter()
        .scan(None, |first: &mut Option<i64>, t| {
            let first = *first.get_or_insert(t.timestamp());
            Some(
                Trade::new(
                    (t.timestamp() - first) / 1000,
                    t.price(),
                    t.size(),
                    t.side(),
                )
                .unwrap(),
            )
        })
        .collect()
}

fn bars(c: &mut Criterion) {
    let trades = trades();
    let span = trades.last().unwrap().timestamp() - trades[0].timestamp() + 1;
    let mut group = c.benchmark_group("bars");
    group.throughput(Throughput::Elements(trades.len() as u64));
    for (name, rule) in [
        ("dollar_imbalance", "dollar-imbalance:40"),
        ("tick_run", "tick-run:40"),
        ("dollar", "dollar:250000"),
        ("time", "time:1m"),
    ] {
        let mut builder = BarBuilder::<f64>::new(parse_bar_rule(rule).unwrap()).unwrap();
        let mut lap = 0i64;
        group.bench_function(name, |b| {
            b.iter(|| {
                // the fixture again, later: timestamps keep increasing across laps
                let shift = lap * span;
                lap += 1;
                let mut closed = 0u32;
                for t in &trades {
                    let t =
                        Trade::new(t.timestamp() + shift, t.price(), t.size(), t.side()).unwrap();
                    closed += u32::from(builder.on_trade(black_box(&t)).unwrap().is_some());
                }
                closed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bars);
criterion_main!(benches);
