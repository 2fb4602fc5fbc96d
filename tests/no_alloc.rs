//! The update loop runs under a global allocator that counts every allocation made
//! while the loop runs: the count must stay zero.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use tickml_core::pipeline::Pipeline;
use tickml_core::{DefaultFeatureSet, FeatureConfig, Universe};

struct Watch;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
}

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

fn watched<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    WATCHING.with(|w| w.set(true));
    let r = f();
    WATCHING.with(|w| w.set(false));
    (r, ALLOCATIONS.load(Ordering::SeqCst) - before)
}

#[test]
fn the_update_loop_never_allocates() {
    let bars = common::load("spx_daily.csv");
    let f32_bars: Vec<_> = bars.iter().map(common::to_f32).collect();
    let mut set = Box::new(DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap());
    let mut set32 = Box::new(DefaultFeatureSet::<f32>::new(FeatureConfig::default()).unwrap());
    let mut universe = Box::new(Universe::<f64, 4>::new(FeatureConfig::default()).unwrap());
    // the whole live path: features, rule detector, three tree and linear models, the
    // arbitrator with its meta-learner, and a snapshot into a caller's buffer
    let bundle = std::fs::read(common::repo_path("stream-cli/assets/default_bundle.tml")).unwrap();
    let mut pipeline = Box::new(Pipeline::<f64>::from_bundle(&bundle).unwrap());
    let mut buf = vec![0u8; 1 << 20];
    let (checksum, allocations) = watched(|| {
        let mut checksum = 0.0;
        for (i, bar) in bars.iter().enumerate() {
            checksum += set.update(bar).unwrap().values()[0].max(0.0);
            checksum += f64::from(set32.update(&f32_bars[i]).unwrap().values()[0].max(0.0));
            universe.update(&[(1, *bar), (2, *bar)]).unwrap();
            let d = if i % 2 == 0 {
                pipeline.on_bar(bar).unwrap()
            } else {
                let own = pipeline.begin_bar(bar).unwrap();
                let peer = tickml_core::features::CrossSectionInput {
                    log_return: 0.001,
                    volatility: None,
                    volume_ratio: Some(1.2),
                };
                pipeline.finish_bar(&[peer, own.unwrap_or(peer)]).unwrap()
            };
            checksum += d.arbitration.confidence;
        }
        checksum += pipeline.snapshot(&mut buf).unwrap().len() as f64;
        checksum
    });
    assert!(checksum > 0.0);
    assert_eq!(allocations, 0, "the update loop allocated");
    // the allocator does see allocations when they happen
    let (_, seen) = watched(|| vec![1u8; 16]);
    assert_eq!(seen, 1);
}
