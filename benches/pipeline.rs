//! `pipeline/on_bar`: one bar through the embedded default bundle (features, rule
//! regime, 3 models, arbitrator with meta-learner), warm.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tickml_core::pipeline::Pipeline;

mod common;

fn pipeline(c: &mut Criterion) {
    let bundle = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stream-cli/assets/default_bundle.tml"
    ))
    .unwrap();
    let mut p = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let mut next = common::spx_bars::<f64>();
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
