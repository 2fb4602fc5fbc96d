//! `inference/lgbm_200x31`: one row through the committed 200-tree, 31-leaf LightGBM
//! binary model over 100 features (tests/fixtures/models/lgbm_200x31.txt), read in
//! place from its blob. `inference/linear_100`: a 100-feature logistic model.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tickml_core::model::{Link, Model};
use tickml_train::export::LinearSpec;

fn rows(n: usize, width: usize) -> Vec<Vec<f64>> {
    // deterministic pseudo-normal rows (sum of uniforms), so runs are comparable
    let mut rng = tickml_train::rng::XorShift64::new(0x2545_F491_4F6C_DD1D);
    let mut uniform = move || rng.uniform();
    (0..n)
        .map(|_| {
            (0..width)
                .map(|_| (0..4).map(|_| uniform()).sum::<f64>() - 2.0)
                .collect()
        })
        .collect()
}

fn inference(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/models/lgbm_200x31.txt"
    ))
    .unwrap();
    let blob = tickml_train::import::lightgbm::parse(&text)
        .unwrap()
        .to_blob(0)
        .unwrap();
    let model = Model::from_blob(&blob).unwrap();
    let inputs = rows(1024, 100);
    let mut out = [0.0f64];
    let mut i = 0;
    c.bench_function("inference/lgbm_200x31", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            model.predict(black_box(&inputs[i]), &mut out).unwrap();
            black_box(out[0])
        })
    });

    let spec = LinearSpec {
        feature_names: (0..100).map(|i| format!("f{i}")).collect(),
        link: Link::Sigmoid,
        intercept: 0.1,
        coefficients: rows(1, 100).remove(0),
    };
    let blob = spec.to_blob(0).unwrap();
    let linear = Model::from_blob(&blob).unwrap();
    c.bench_function("inference/linear_100", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            linear.predict(black_box(&inputs[i]), &mut out).unwrap();
            black_box(out[0])
        })
    });
}

criterion_group!(benches, inference);
criterion_main!(benches);
