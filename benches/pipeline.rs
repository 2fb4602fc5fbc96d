//! `pipeline/on_bar`: one bar through the embedded default bundle (features, rule
//! regime, 3 models, arbitrator with meta-learner), warm, its trees walked from the
//! blob. `pipeline/on_bar_laid_out`: the same with the trees laid out
//! (`Pipeline::lay_out_trees`: the default bundle's shallow forests as complete trees), as
//! `tickml stream` runs it; it was `pipeline/on_bar_quickscorer` while that layout was
//! QuickScorer's.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tickml_core::model::ScorerRecord;
use tickml_core::pipeline::Pipeline;

mod common;

fn pipeline(c: &mut Criterion) {
    let bundle = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stream-cli/assets/default_bundle.tml"
    ))
    .unwrap();
    let needed = Pipeline::<f64>::from_bundle(&bundle)
        .unwrap()
        .scorer_records_needed();
    let mut records = vec![ScorerRecord::default(); needed];
    eprintln!(
        "laid-out trees of the default bundle: {needed} words, {} bytes; \
         Pipeline<f64> = {} bytes, Pipeline<f32> = {} bytes",
        std::mem::size_of_val(records.as_slice()),
        std::mem::size_of::<Pipeline<f64>>(),
        std::mem::size_of::<Pipeline<f32>>()
    );
    let mut walk = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let mut scored = walk.clone();
    scored.lay_out_trees(&mut records).unwrap();
    for (name, p) in [
        ("pipeline/on_bar", &mut walk),
        ("pipeline/on_bar_laid_out", &mut scored),
    ] {
        let mut next = common::spx_bars::<f64>();
        for _ in 0..2000 {
            p.on_bar(&next()).unwrap();
        }
        c.bench_function(name, |b| {
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
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
