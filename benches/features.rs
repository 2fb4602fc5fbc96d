//! `features/update_all` and `features/update_all_f32`: one bar through the full
//! default feature set. Bars cycle through data/spx_daily.csv one minute apart with a timestamp that
//! keeps increasing, so every iteration is a real, accepted update.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tickml_core::{DefaultFeatureSet, FeatureConfig, Float};

mod common;

fn bench_update<T: Float>(c: &mut Criterion, name: &str) {
    let mut set = Box::new(DefaultFeatureSet::<T>::new(FeatureConfig::default()).unwrap());
    let mut next_bar = common::spx_bars::<T>();
    // warm every window up before timing
    for _ in 0..1000 {
        set.update(&next_bar()).unwrap();
    }
    c.bench_function(name, |b| {
        b.iter(|| {
            let bar = next_bar();
            black_box(set.update(black_box(&bar)).unwrap().values()[0]);
        })
    });
}

fn features(c: &mut Criterion) {
    let state = std::mem::size_of::<DefaultFeatureSet<f64>>();
    let state32 = std::mem::size_of::<DefaultFeatureSet<f32>>();
    eprintln!("state size: DefaultFeatureSet<f64> = {state} bytes, DefaultFeatureSet<f32> = {state32} bytes");
    bench_update::<f64>(c, "features/update_all");
    bench_update::<f32>(c, "features/update_all_f32");
}

criterion_group!(benches, features);
criterion_main!(benches);
