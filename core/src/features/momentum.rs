//! Momentum family: ROC, simple and log returns over each window, RSI.

use super::config::{FeatureConfig, Windows, MAX_WINDOWS};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::error::Error;
use crate::indicators::Rsi;
use crate::num::Float;

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Momentum<T> {
    windows: Windows,
    rsi: Rsi<T>,
    rsi_period: u16,
}

impl<T: Float> Momentum<T> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        Ok(Momentum {
            windows: config.momentum_windows.clone(),
            rsi: Rsi::new(config.rsi_period)?,
            rsi_period: config.rsi_period,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in [K::Roc, K::Return, K::LogReturn] {
            for &n in &self.windows {
                out(FeatureId::windowed(kind, n));
            }
        }
        out(FeatureId::windowed(K::Rsi, self.rsi_period));
    }

    pub fn update<const W: usize>(&mut self, h: &History<T, W>, out: &mut Writer<T>) {
        let hundred = T::from_f64(100.0);
        // each window's return, read once for its three features
        let mut returns = [None; MAX_WINDOWS];
        for (r, &n) in returns.iter_mut().zip(&self.windows) {
            *r = h.simple_return(n);
        }
        let returns = returns.get(..self.windows.len()).unwrap_or(&[]);
        for r in returns {
            out.put(r.map(|r| r * hundred));
        }
        for &r in returns {
            out.put(r);
        }
        for r in returns {
            out.put(r.map(|r| (T::ONE + r).ln()));
        }
        let c = h.close.newest().unwrap_or(T::NAN);
        out.put(self.rsi.update(c));
    }
}
