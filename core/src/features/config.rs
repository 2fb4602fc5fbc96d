//! Feature configuration, validated against the compile-time capacities.

use heapless::Vec;

use crate::error::Error;

/// At most this many windows per family list.
pub const MAX_WINDOWS: usize = 8;

/// A list of window lengths (bars).
pub type Windows = Vec<u16, MAX_WINDOWS>;

/// Which features to compute and over which windows. [`FeatureConfig::default`] is
/// the reference set: 110 features over the 8 families.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureConfig {
    /// SMA, EMA, close/SMA and log-price slope windows (default 5, 10, 20, 50, 200).
    pub trend_windows: Windows,
    /// ROC, simple and log return windows (default 5, 10, 20, 60).
    pub momentum_windows: Windows,
    /// Realized, Parkinson and Garman-Klass volatility windows (default 5, 10, 20, 60).
    pub volatility_windows: Windows,
    /// Volume SMA, ratio, z-score and rolling VWAP windows (default 5, 10, 20).
    pub volume_windows: Windows,
    /// Z-score and distance from rolling max/min windows (default 10, 20, 50, 100).
    pub mean_reversion_windows: Windows,
    /// Percentile-rank-of-return windows (default 20, 60).
    pub rank_windows: Windows,
    /// Efficiency-ratio (trend strength) windows (default 10, 20, 50).
    pub trend_strength_windows: Windows,
    /// RSI period (default 14).
    pub rsi_period: u16,
    /// ATR / NATR period (default 14).
    pub atr_period: u16,
    /// ADX / DI period (default 14).
    pub adx_period: u16,
    /// MACD fast, slow and signal periods (default 12, 26, 9).
    pub macd: (u16, u16, u16),
    /// Bollinger window (default 20).
    pub bollinger_window: u16,
    /// Bollinger width in standard deviations (default 2.0).
    pub bollinger_k: f64,
    /// Realized-volatility window whose percentile is `vol_regime` (default 20).
    pub vol_regime_window: u16,
    /// How many past volatility values `vol_regime` ranks against (default 100).
    pub vol_regime_lookback: u16,
    /// Which cross-sectional features a universe fills (default `ranks`: the design's
    /// `xs_rank` and `xs_pct`).
    pub cross_section: CrossSection,
}

/// The cross-sectional features of a universe's members (`cross_section` in the
/// configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossSection {
    /// `xs_rank` and `xs_pct` of the one-bar log return (the design's).
    #[default]
    Ranks,
    /// Those and `xs_demeaned`, `xs_zscore` of the return, and the percentile ranks
    /// `xs_rvol_rank_<w>` of `rvol_<w>` (w = `vol_regime_window`, when it is one of the
    /// volatility windows) and `xs_volume_ratio_rank_<w>` of `volume_ratio_<w>` (w = the
    /// longest volume window).
    Extended,
}

fn windows(values: &[u16]) -> Windows {
    crate::fixed::fill(values.iter().copied())
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            trend_windows: windows(&[5, 10, 20, 50, 200]),
            momentum_windows: windows(&[5, 10, 20, 60]),
            volatility_windows: windows(&[5, 10, 20, 60]),
            volume_windows: windows(&[5, 10, 20]),
            mean_reversion_windows: windows(&[10, 20, 50, 100]),
            rank_windows: windows(&[20, 60]),
            trend_strength_windows: windows(&[10, 20, 50]),
            rsi_period: 14,
            atr_period: 14,
            adx_period: 14,
            macd: (12, 26, 9),
            bollinger_window: 20,
            bollinger_k: 2.0,
            vol_regime_window: 20,
            vol_regime_lookback: 100,
            cross_section: CrossSection::Ranks,
        }
    }
}

impl FeatureConfig {
    /// Checks every window against `min` and the history capacity `capacity` (a
    /// window of `w` bars needs `w + 1` slots: the value leaving it is read too).
    pub fn validate(&self, capacity: usize) -> Result<(), Error> {
        let check = |field: &'static str, window: u16, min: u16| {
            crate::window::check(field, window, min, capacity)
        };
        let lists: [(&'static str, &Windows, u16); 7] = [
            ("trend_windows", &self.trend_windows, 2),
            ("momentum_windows", &self.momentum_windows, 1),
            ("volatility_windows", &self.volatility_windows, 2),
            ("volume_windows", &self.volume_windows, 1),
            ("mean_reversion_windows", &self.mean_reversion_windows, 2),
            ("rank_windows", &self.rank_windows, 1),
            ("trend_strength_windows", &self.trend_strength_windows, 1),
        ];
        for (field, list, min) in lists {
            for &w in list.iter() {
                check(field, w, min)?;
            }
        }
        check("rsi_period", self.rsi_period, 2)?;
        check("atr_period", self.atr_period, 1)?;
        check("adx_period", self.adx_period, 2)?;
        let (fast, slow, signal) = self.macd;
        check("macd.fast", fast, 1)?;
        check("macd.slow", slow, 2)?;
        check("macd.signal", signal, 1)?;
        if fast >= slow {
            return Err(Error::InvalidParameter { field: "macd" });
        }
        check("bollinger_window", self.bollinger_window, 2)?;
        if !(self.bollinger_k.is_finite() && self.bollinger_k > 0.0) {
            return Err(Error::InvalidParameter {
                field: "bollinger_k",
            });
        }
        check("vol_regime_window", self.vol_regime_window, 2)?;
        check("vol_regime_lookback", self.vol_regime_lookback, 1)?;
        Ok(())
    }
}
