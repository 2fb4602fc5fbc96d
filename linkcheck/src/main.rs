//! A `no_std` binary for `thumbv7em-none-eabihf` whose panic handler calls a function
//! that does not exist: it links only if no panic path survives optimisation in what it
//! calls, the live path of the core: `Pipeline::from_bundle` on the default bundle,
//! `on_bar` and `begin_bar` / `finish_bar` on a few hundred bars, `snapshot` and `restore`,
//! `lay_out_trees` (complete trees for the default bundle), `use_laid_out_trees` over its
//! records and `on_bar` with the trees laid out,
//! `Model::from_blob` and `predict`, `FeatureSet::update`, and trades into bars
//! (`BarBuilder::on_trade` and `finish` for each kind of rule, `Pipeline::on_trade`).
//!
//! `cargo build --release --target thumbv7em-none-eabihf` (from this folder; `.ci/run`
//! does it). A link error naming `tickml_panic_path_survived` means a panic path is back.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use tickml_core::bars::{BarBuilder, BarRule, Information, Measure, Side, Trade};
use tickml_core::features::{CrossSection, CrossSectionInput};
use tickml_core::model::{Model, ScorerRecord};
use tickml_core::pipeline::Pipeline;
use tickml_core::{Bar, DefaultFeatureSet, FeatureConfig};

static BUNDLE: &[u8] = include_bytes!("../../stream-cli/assets/default_bundle.tml");

/// The default bundle's laid-out trees (it needs 9,600 words).
static mut RECORDS: [ScorerRecord; 12 * 1024] = [ScorerRecord::ZERO; 12 * 1024];

/// State snapshots are written here.
static mut SNAPSHOT: [u8; 96 * 1024] = [0; 96 * 1024];

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    extern "C" {
        fn tickml_panic_path_survived() -> !;
    }
    // SAFETY: never defined; the link fails if this is reachable
    unsafe { tickml_panic_path_survived() }
}

/// A deterministic random walk the optimiser cannot see through.
fn bar(i: u32, state: &mut u64) -> Option<Bar<f64>> {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    let step = (*state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    let close = black_box(100.0 + step);
    let t = 1_700_000_000_000_000_000i64 + i64::from(i) * 60_000_000_000;
    Bar::new(t, close, close + 0.5, close - 0.5, close, 1000.0).ok()
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let mut state = black_box(0x9E37_79B9_7F4A_7C15u64);
    let mut checksum = 0.0f64;
    if let Ok(mut pipeline) = Pipeline::<f64>::from_bundle(black_box(BUNDLE)) {
        for i in 0..black_box(300u32) {
            if let Some(b) = bar(i, &mut state) {
                let decision = if i % 2 == 0 {
                    pipeline.on_bar(&b)
                } else {
                    // a universe member: begin, then finish against the cross-section
                    match pipeline.begin_bar(&b) {
                        Ok(own) => {
                            let peer = CrossSectionInput {
                                log_return: black_box(0.001),
                                volatility: Some(black_box(0.01)),
                                volume_ratio: None,
                            };
                            let members = [peer, own.unwrap_or(peer)];
                            pipeline.finish_bar(&members)
                        }
                        Err(e) => Err(e),
                    }
                };
                if let Ok(d) = decision {
                    checksum += d.arbitration.weighted_signal;
                }
            }
        }
        // SAFETY: single-threaded, the only reference to the buffer
        #[allow(static_mut_refs)]
        let buf = unsafe { &mut SNAPSHOT };
        let len = pipeline.snapshot(buf).map(|s| s.len()).unwrap_or(0);
        if let Some(bytes) = buf.get(..len) {
            let _ = pipeline.restore(black_box(bytes));
        }
        if let Ok(t) = Trade::new(black_box(1), 100.0, 1.0, None) {
            let _ = pipeline.on_trade(&t);
            let _ = pipeline.finish_trades();
        }
    }
    if let Ok(mut pipeline) = Pipeline::<f64>::from_bundle(black_box(BUNDLE)) {
        // SAFETY: single-threaded, the only reference to the buffer
        #[allow(static_mut_refs)]
        let records = unsafe { &mut RECORDS };
        let needed = pipeline.scorer_records_needed();
        if let Some(records) = records.get_mut(..black_box(needed)) {
            // laid out by one pipeline, then kept and checked by another
            let laid_out = pipeline.clone().lay_out_trees(&mut *records).is_ok();
            if laid_out && pipeline.use_laid_out_trees(black_box(&*records)).is_ok() {
                for i in 0..black_box(300u32) {
                    if let Some(b) = bar(i, &mut state) {
                        if let Ok(d) = pipeline.on_bar(&b) {
                            checksum += d.arbitration.weighted_signal;
                        }
                    }
                }
            }
        }
    }
    let information = |measure| Information {
        measure,
        expected_trades: black_box(40),
        span: 20,
        bound: 10,
    };
    let rules = [
        BarRule::Imbalance(information(Measure::Dollars)),
        BarRule::Run(information(Measure::Ticks)),
        BarRule::Time {
            width_ns: black_box(60_000_000_000),
        },
        BarRule::Volume {
            volume: black_box(500.0),
        },
    ];
    for rule in rules {
        if let Ok(mut builder) = BarBuilder::<f64>::new(rule) {
            for i in 0..black_box(500u32) {
                if let Some(b) = bar(i, &mut state) {
                    let side = match i % 3 {
                        0 => None,
                        1 => Some(Side::Buy),
                        _ => Some(Side::Sell),
                    };
                    if let Ok(t) = Trade::new(b.timestamp(), b.close(), black_box(3.0), side) {
                        if let Ok(Some(done)) = builder.on_trade(&t) {
                            checksum += done.close();
                        }
                    }
                }
            }
            if let Ok(Some(done)) = builder.finish() {
                checksum += done.volume();
            }
        }
    }
    let extended = FeatureConfig {
        cross_section: CrossSection::Extended,
        ..FeatureConfig::default()
    };
    if let Ok(mut set) = DefaultFeatureSet::<f64>::new(black_box(extended)) {
        for i in 0..black_box(100u32) {
            if let Some(b) = bar(i, &mut state) {
                if let Ok(f) = set.update(&b) {
                    checksum += f.values().first().copied().unwrap_or(0.0);
                }
                if let Some(own) = set.cross_section_input() {
                    let peer = CrossSectionInput {
                        log_return: black_box(-0.003),
                        ..own
                    };
                    set.rank_against(&[own, peer]);
                }
            }
        }
        let row = set.features().values();
        if let Ok(model) = Model::from_blob(black_box(model_blob())) {
            let mut out = [0.0f64; 8];
            if model.predict(row, &mut out).is_ok() {
                checksum += out[0];
            }
        }
    }
    black_box(checksum);
    loop {
        core::hint::spin_loop();
    }
}

/// The first model blob inside the bundle (found by its magic), or nothing.
fn model_blob() -> &'static [u8] {
    let at = BUNDLE
        .windows(4)
        .skip(4)
        .position(|w| w == b"TKML")
        .map_or(BUNDLE.len(), |p| p + 4);
    BUNDLE.get(at..).unwrap_or(&[])
}
