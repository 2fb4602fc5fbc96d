//! Trend family: SMA, EMA, close/SMA, log-price slope, MACD, ADX and the DIs.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::close_index;
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::bar::Bar;
use crate::indicators::{Dmi, Ema, Macd};
use crate::num::Float;
use crate::window::{LinearTrend, Rolling};

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct TrendWindow<T> {
    /// The close's moments over the window, in [`History::close_moments`].
    sma: u8,
    ema: Ema<T>,
    slope: Rolling<LinearTrend<T>>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Trend<T> {
    windows: Vec<TrendWindow<T>, MAX_WINDOWS>,
    macd: Macd<T>,
    dmi: Dmi<T>,
    adx_period: u16,
}

impl<T: Float> Trend<T> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        let (fast, slow, signal) = config.macd;
        Ok(Trend {
            windows: crate::fixed::try_fill(config.trend_windows.iter().map(|&n| {
                Ok(TrendWindow {
                    sma: close_index(config, n)?,
                    ema: Ema::new(n)?,
                    slope: Rolling::new(n)?,
                })
            }))?,
            macd: Macd::new(fast, slow, signal)?,
            dmi: Dmi::new(config.adx_period)?,
            adx_period: config.adx_period,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [K::Sma, K::Ema, K::CloseToSma, K::Slope] {
            for w in &self.windows {
                out(FeatureId::windowed(kind, w.slope.window()));
            }
        }
        for kind in [K::Macd, K::MacdSignal, K::MacdHist] {
            out(FeatureId::plain(kind));
        }
        for kind in [K::Adx, K::PlusDi, K::MinusDi] {
            out(FeatureId::windowed(kind, self.adx_period));
        }
    }

    pub fn update<const W: usize>(&mut self, bar: &Bar<T>, h: &History<T, W>, out: &mut Writer<T>) {
        let c = bar.close();
        for w in self.windows.iter_mut() {
            w.ema.update(c);
            w.slope.push(&h.log_close);
        }
        let sma = |w: &TrendWindow<T>| h.close_moments.full(w.sma).map(|m| m.mean());
        for w in &self.windows {
            out.put(sma(w));
        }
        for w in &self.windows {
            out.put(w.ema.value());
        }
        for w in &self.windows {
            out.put(sma(w).map(|s| c / s - T::ONE));
        }
        for w in &self.windows {
            out.put(w.slope.full().and_then(|t| t.slope()));
        }
        let macd = self.macd.update(c);
        out.put(macd.map(|m| m.macd));
        out.put(macd.map(|m| m.signal));
        out.put(macd.map(|m| m.hist));
        let dmi = self.dmi.update(bar.high(), bar.low(), c);
        out.put(dmi.and_then(|d| d.adx));
        out.put(dmi.map(|d| d.plus_di));
        out.put(dmi.map(|d| d.minus_di));
    }
}
