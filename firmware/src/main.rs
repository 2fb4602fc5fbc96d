//! The default bundle's pipeline on a Cortex-M4: `include_bytes!` of the bundle
//! `tickml stream` embeds, 400 S&P 500 daily bars as a const array, each through
//! `Pipeline::on_bar`, one line per decision over semihosting:
//!
//! `decision <unix ns> <signal> <confidence> <weighted_signal> <regime> <p1> <p2> <p3>`
//!
//! then the figures a device engineer asks for first: the pipeline's size, the stack's
//! high-water mark, and the instructions per `on_bar` (QEMU's `-icount shift=0` runs the
//! virtual clock at one instruction a nanosecond; SysTick counts that clock at 25 MHz,
//! so one tick is 40 instructions). Run with `cargo run --release` under
//! `qemu-system-arm -machine mps2-an386` (`.cargo/config.toml`).
//!
//! The trees are laid out as `tickml stream` lays them out on a host
//! (`Pipeline::lay_out_trees`: the default bundle's forests as complete trees), by
//! `build.rs` at build time into a `static` in flash that both pipelines use once every
//! word is checked (`Pipeline::use_laid_out_trees`): no RAM for them.

#![no_std]
#![no_main]

use core::fmt::Write as _;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use tickml_core::model::ScorerRecord;
use tickml_core::pipeline::Pipeline;
use tickml_core::Bar;

include!(concat!(env!("OUT_DIR"), "/spx_bars.rs"));

static BUNDLE: &[u8] = include_bytes!("../../stream-cli/assets/default_bundle.tml");

include!(concat!(env!("OUT_DIR"), "/trees.rs"));

/// Instructions per SysTick tick: 25 MHz of a 1 GHz instruction clock.
const INSTRUCTIONS_PER_TICK: u32 = 40;

/// The pattern painted below the stack pointer to find the stack's high-water mark.
const PAINT: u32 = 0xC0DE_5AFE;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

extern "C" {
    /// End of `.bss` and `.data` (cortex-m-rt): the lowest address the stack may reach.
    static __sheap: u32;
    /// The initial stack pointer, the top of RAM (cortex-m-rt).
    static _stack_start: u32;
}

/// Paints from the end of the static data up to a margin below the current stack
/// pointer, so that [`stack_used`] can find the deepest word written since.
fn paint_stack() {
    let bottom = core::ptr::addr_of!(__sheap) as usize;
    let sp = cortex_m::register::msp::read() as usize - 256;
    let mut p = bottom;
    while p < sp {
        // SAFETY: [bottom, sp - 256) is unused RAM between the statics and the live stack
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack ever used: from the stack's top to the lowest word not painted.
fn stack_used() -> usize {
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let bottom = core::ptr::addr_of!(__sheap) as usize;
    let mut p = bottom;
    // SAFETY: reads of the painted region, word-aligned, inside RAM
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}

#[entry]
fn main() -> ! {
    paint_stack();
    let mut out = match hio::hstdout() {
        Ok(out) => out,
        Err(()) => {
            debug::exit(debug::EXIT_FAILURE);
            loop {}
        }
    };
    let mut core = cortex_m::Peripherals::take().unwrap();
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(0x00FF_FFFF);
    core.SYST.clear_current();
    core.SYST.enable_counter();
    let (all, warm) = stream_f64(&mut out);
    let instructions =
        |(ticks, bars): (u64, u64)| ticks * u64::from(INSTRUCTIONS_PER_TICK) / bars.max(1);
    let _ = writeln!(
        out,
        "figure pipeline_bytes {}\nfigure stack_bytes {}\nfigure bars {}\nfigure warm_bars {}\nfigure instructions_per_on_bar {}\nfigure instructions_per_warm_on_bar {}",
        core::mem::size_of::<Pipeline<f64>>(),
        stack_used(),
        all.1,
        warm.1,
        instructions(all),
        instructions(warm)
    );
    let (all32, warm32) = stream_f32();
    let _ = writeln!(
        out,
        "figure pipeline_bytes_f32 {}\nfigure stack_bytes_with_f32 {}\nfigure instructions_per_on_bar_f32 {}\nfigure instructions_per_warm_on_bar_f32 {}",
        core::mem::size_of::<Pipeline<f32>>(),
        stack_used(),
        instructions(all32),
        instructions(warm32)
    );
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}

/// SysTick ticks spent in `on_bar` and the bars: over every bar, and over the warm
/// ones (every model predicted).
type Ticks = ((u64, u64), (u64, u64));

/// Adds one `on_bar`'s ticks to `t`, to the warm part if every model predicted.
fn count<T: tickml_core::Float>(t: &mut Ticks, ticks: u32, predictions: Option<&[T]>) {
    t.0 .0 += u64::from(ticks);
    t.0 .1 += 1;
    if predictions.is_some_and(|p| p.iter().all(|p| p.is_finite())) {
        t.1 .0 += u64::from(ticks);
        t.1 .1 += 1;
    }
}

/// Streams the bars through the f64 pipeline, printing each decision.
#[inline(never)]
fn stream_f64(out: &mut hio::HostStream) -> Ticks {
    let pipeline = Pipeline::<f64>::from_bundle(BUNDLE).and_then(|mut p| {
        p.use_laid_out_trees(&TREES)?;
        Ok(p)
    });
    let mut pipeline = match pipeline {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(out, "error bundle: {e}");
            debug::exit(debug::EXIT_FAILURE);
            return Ticks::default();
        }
    };
    let mut ticks = Ticks::default();
    for &(t, o, h, l, c, v) in SPX.iter() {
        let Ok(bar) = Bar::new(t, o, h, l, c, v) else {
            let _ = writeln!(out, "error bar {t}");
            continue;
        };
        let start = cortex_m::peripheral::SYST::get_current();
        let decision = pipeline.on_bar(&bar);
        let end = cortex_m::peripheral::SYST::get_current();
        // SysTick counts down and wraps at 2^24
        let spent = start.wrapping_sub(end) & 0x00FF_FFFF;
        count(
            &mut ticks,
            spent,
            decision.as_ref().ok().map(|d| &d.predictions[..]),
        );
        match decision {
            Ok(d) => {
                let a = &d.arbitration;
                let _ = write!(
                    out,
                    "decision {} {} {} {} {}",
                    d.timestamp,
                    a.signal.name(),
                    a.confidence,
                    a.weighted_signal,
                    a.regime.name()
                );
                for p in d.predictions.iter() {
                    let _ = write!(out, " {p}");
                }
                let _ = writeln!(out);
            }
            Err(e) => {
                let _ = writeln!(out, "error {t}: {e}");
            }
        }
    }
    ticks
}

/// The same bars through the f32 pipeline (the M4's FPU is single precision).
#[inline(never)]
fn stream_f32() -> Ticks {
    let mut ticks = Ticks::default();
    let laid_out = Pipeline::<f32>::from_bundle(BUNDLE).and_then(|mut p| {
        p.use_laid_out_trees(&TREES)?;
        Ok(p)
    });
    if let Ok(mut p32) = laid_out {
        for &(t, o, h, l, c, v) in SPX.iter() {
            let Ok(bar) = Bar::new(t, o as f32, h as f32, l as f32, c as f32, v as f32) else {
                continue;
            };
            let start = cortex_m::peripheral::SYST::get_current();
            let decision = core::hint::black_box(p32.on_bar(&bar));
            let end = cortex_m::peripheral::SYST::get_current();
            let spent = start.wrapping_sub(end) & 0x00FF_FFFF;
            count(
                &mut ticks,
                spent,
                decision.as_ref().ok().map(|d| &d.predictions[..]),
            );
        }
    }
    ticks
}
