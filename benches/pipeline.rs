//! `pipeline/on_bar`: one bar through the embedded default bundle (features, rule
//! regime, 3 models, arbitrator with meta-learner), warm.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tickml_core::pipeline::Pipeline;
use tickml_core::Bar;

fn pipeline(c: &mut Criterion) {
    let bundle = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stream-cli/assets/default_bundle.tml"
    ))
    .unwrap();
    let rows: Vec<[f64; 5]> =
        tickml_train::data::load_bars(concat!(env!("CARGO_MANIFEST_DIR"), "/data/spx_daily.csv"))
            .unwrap()
            .iter()
            .map(|r| {
                [
                    r.bar.open(),
                    r.bar.high(),
                    r.bar.low(),
                    r.bar.close(),
                    r.bar.volume(),
                ]
            })
            .collect();
    let mut p = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let mut i = 0usize;
    let mut next = move || {
        let [o, h, l, cl, v] = rows[i % rows.len()];
        i += 1;
        Bar::new(i as i64 * 60_000_000_000, o, h, l, cl, v).unwrap()
    };
    for _ in 0..2000 {
        p.on_bar(&next()).unwrap();
    }
    c.bench_function("pipeline/on_bar", |b| {
        b.iter(|| {
            black_box(
                p.on_bar(black_box(&next()))
                    .unwrap()
                    .arbitration
                    .weighted_signal,
            )
        })
    });
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
