//! Feature identities, names, families and the schema hash.

use core::fmt::{self, Write};

use heapless::{String, Vec};

use super::config::FeatureConfig;

/// Version of the feature definitions; part of the schema hash, bumped whenever a
/// formula or the order of features changes.
pub const FEATURE_FORMAT_VERSION: u32 = 1;

/// The eight feature families (the default ablation groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Family {
    /// Moving averages, MACD, slopes, ADX.
    Trend,
    /// Returns, ROC, RSI.
    Momentum,
    /// Realized and range volatility, ATR, Bollinger.
    Volatility,
    /// Volume averages, OBV, VWAP.
    Volume,
    /// Z-scores and distances from rolling extremes.
    MeanReversion,
    /// Time-series and cross-sectional ranks.
    CrossSectional,
    /// Calendar features.
    Seasonality,
    /// Volatility regime and trend strength.
    Regime,
}

impl Family {
    /// All families in schema order.
    pub const ALL: [Family; 8] = [
        Family::Trend,
        Family::Momentum,
        Family::Volatility,
        Family::Volume,
        Family::MeanReversion,
        Family::CrossSectional,
        Family::Seasonality,
        Family::Regime,
    ];

    /// Lower-case name, e.g. `mean_reversion`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Trend => "trend",
            Family::Momentum => "momentum",
            Family::Volatility => "volatility",
            Family::Volume => "volume",
            Family::MeanReversion => "mean_reversion",
            Family::CrossSectional => "cross_sectional",
            Family::Seasonality => "seasonality",
            Family::Regime => "regime",
        }
    }
}

/// What a feature computes; with its window it makes a [`FeatureId`]. `c` is the
/// close, `r` the one-bar log return `ln(c_t / c_{t-1})`, `n` the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FeatureKind {
    /// `sma_n`: mean of the last n closes (TA-Lib SMA).
    Sma,
    /// `ema_n`: EMA of closes, SMA-seeded (TA-Lib EMA).
    Ema,
    /// `close_to_sma_n`: `c / sma_n - 1`.
    CloseToSma,
    /// `slope_n`: OLS slope of `ln c` against bar index over n bars (per bar).
    Slope,
    /// `macd`: EMA12 - EMA26 of closes (TA-Lib MACD line).
    Macd,
    /// `macd_signal`: EMA9 of the MACD line (TA-Lib).
    MacdSignal,
    /// `macd_hist`: `macd - macd_signal` (TA-Lib).
    MacdHist,
    /// `adx_n`: Wilder's ADX (TA-Lib ADX).
    Adx,
    /// `plus_di_n`: +DI (TA-Lib PLUS_DI).
    PlusDi,
    /// `minus_di_n`: -DI (TA-Lib MINUS_DI).
    MinusDi,
    /// `roc_n`: `100 (c_t - c_{t-n}) / c_{t-n}` (TA-Lib ROC, `100 (c_t / c_{t-n} - 1)`).
    Roc,
    /// `ret_n`: `(c_t - c_{t-n}) / c_{t-n}`.
    Return,
    /// `logret_n`: `ln(1 + ret_n)`.
    LogReturn,
    /// `rsi_n`: Wilder RSI (TA-Lib RSI).
    Rsi,
    /// `rvol_n`: sample standard deviation of the last n one-bar log returns.
    RealizedVol,
    /// `parkinson_n`: `sqrt(mean(ln(H/L)^2) / (4 ln 2))` over n bars.
    Parkinson,
    /// `garman_klass_n`: `sqrt(mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2))` over n bars.
    GarmanKlass,
    /// `atr_n`: Wilder ATR (TA-Lib ATR).
    Atr,
    /// `natr_n`: `100 atr_n / c` (TA-Lib NATR).
    Natr,
    /// `trange`: true range (TA-Lib TRANGE).
    TrueRange,
    /// `bb_upper_n`: SMA + k population standard deviations (TA-Lib BBANDS).
    BollingerUpper,
    /// `bb_middle_n`: SMA (TA-Lib BBANDS).
    BollingerMiddle,
    /// `bb_lower_n`: SMA - k population standard deviations (TA-Lib BBANDS).
    BollingerLower,
    /// `bb_pctb_n`: `(c - lower) / (upper - lower)`, absent when the bands touch.
    BollingerPercentB,
    /// `bb_width_n`: `(upper - lower) / middle`.
    BollingerWidth,
    /// `volume_sma_n`: mean volume over n bars.
    VolumeSma,
    /// `volume_ratio_n`: `volume / volume_sma_n`, absent when the mean is 0.
    VolumeRatio,
    /// `volume_zscore_n`: `(volume - mean) / population sd`, absent when sd is 0.
    VolumeZscore,
    /// `vwap_n`: `sum(tp v) / sum(v)` over n bars with `tp = (H + L + C) / 3`.
    Vwap,
    /// `vwap_dist_n`: `c / vwap_n - 1`.
    VwapDistance,
    /// `obv`: on-balance volume (TA-Lib OBV).
    Obv,
    /// `zscore_n`: `(c - mean) / population sd` of closes, absent when sd is 0.
    Zscore,
    /// `dist_max_n`: `c / max(c over n) - 1`.
    DistanceFromMax,
    /// `dist_min_n`: `c / min(c over n) - 1`.
    DistanceFromMin,
    /// `ret_rank_n`: fraction of the last n one-bar log returns `<=` the current one.
    ReturnRank,
    /// `xs_rank`: rank (1 = lowest) of the one-bar return among the universe's symbols
    /// at this timestamp; absent outside a [`super::Universe`].
    CrossSectionalRank,
    /// `xs_pct`: `(xs_rank - 1) / (symbols - 1)`, 0.5 for a lone symbol; absent outside
    /// a [`super::Universe`].
    CrossSectionalPercentile,
    /// `xs_demeaned`: the one-bar log return less the mean of the members' at this
    /// timestamp ([`super::CrossSection::Extended`]).
    CrossSectionalDemeaned,
    /// `xs_zscore`: `(r - mean) / population sd` of the members' one-bar log returns at
    /// this timestamp, 0 when they are all equal ([`super::CrossSection::Extended`]).
    CrossSectionalZscore,
    /// `xs_rvol_rank_n`: fraction of the other members whose `rvol_n` is below this
    /// one's, 0.5 alone ([`super::CrossSection::Extended`]).
    CrossSectionalVolRank,
    /// `xs_volume_ratio_rank_n`: fraction of the other members whose `volume_ratio_n` is
    /// below this one's, 0.5 alone ([`super::CrossSection::Extended`]).
    CrossSectionalVolumeRank,
    /// `day_of_week`: ISO weekday, Monday = 0.
    DayOfWeek,
    /// `day_of_week_sin`: `sin(2 pi dow / 7)`.
    DayOfWeekSin,
    /// `day_of_week_cos`: `cos(2 pi dow / 7)`.
    DayOfWeekCos,
    /// `day_of_month`: 1 to 31.
    DayOfMonth,
    /// `day_of_month_sin`: `sin(2 pi (dom - 1) / 31)`.
    DayOfMonthSin,
    /// `day_of_month_cos`: `cos(2 pi (dom - 1) / 31)`.
    DayOfMonthCos,
    /// `month`: 1 to 12.
    Month,
    /// `month_sin`: `sin(2 pi (month - 1) / 12)`.
    MonthSin,
    /// `month_cos`: `cos(2 pi (month - 1) / 12)`.
    MonthCos,
    /// `quarter`: 1 to 4.
    Quarter,
    /// `quarter_sin`: `sin(2 pi (quarter - 1) / 4)`.
    QuarterSin,
    /// `quarter_cos`: `cos(2 pi (quarter - 1) / 4)`.
    QuarterCos,
    /// `hour`: UTC hour, 0 to 23.
    Hour,
    /// `hour_sin`: `sin(2 pi hour / 24)`.
    HourSin,
    /// `hour_cos`: `cos(2 pi hour / 24)`.
    HourCos,
    /// `vol_regime`: fraction of the last `lookback` values of `rvol_w` that are `<=`
    /// the current one (w, lookback from the config).
    VolRegime,
    /// `trend_strength_n`: Kaufman efficiency ratio `|c_t - c_{t-n}| / sum |c_i - c_{i-1}|`
    /// (0 when the price did not move).
    TrendStrength,
}

impl FeatureKind {
    /// The name without the window suffix.
    pub fn stem(self) -> &'static str {
        use FeatureKind::*;
        match self {
            Sma => "sma",
            Ema => "ema",
            CloseToSma => "close_to_sma",
            Slope => "slope",
            Macd => "macd",
            MacdSignal => "macd_signal",
            MacdHist => "macd_hist",
            Adx => "adx",
            PlusDi => "plus_di",
            MinusDi => "minus_di",
            Roc => "roc",
            Return => "ret",
            LogReturn => "logret",
            Rsi => "rsi",
            RealizedVol => "rvol",
            Parkinson => "parkinson",
            GarmanKlass => "garman_klass",
            Atr => "atr",
            Natr => "natr",
            TrueRange => "trange",
            BollingerUpper => "bb_upper",
            BollingerMiddle => "bb_middle",
            BollingerLower => "bb_lower",
            BollingerPercentB => "bb_pctb",
            BollingerWidth => "bb_width",
            VolumeSma => "volume_sma",
            VolumeRatio => "volume_ratio",
            VolumeZscore => "volume_zscore",
            Vwap => "vwap",
            VwapDistance => "vwap_dist",
            Obv => "obv",
            Zscore => "zscore",
            DistanceFromMax => "dist_max",
            DistanceFromMin => "dist_min",
            ReturnRank => "ret_rank",
            CrossSectionalRank => "xs_rank",
            CrossSectionalPercentile => "xs_pct",
            CrossSectionalDemeaned => "xs_demeaned",
            CrossSectionalZscore => "xs_zscore",
            CrossSectionalVolRank => "xs_rvol_rank",
            CrossSectionalVolumeRank => "xs_volume_ratio_rank",
            DayOfWeek => "day_of_week",
            DayOfWeekSin => "day_of_week_sin",
            DayOfWeekCos => "day_of_week_cos",
            DayOfMonth => "day_of_month",
            DayOfMonthSin => "day_of_month_sin",
            DayOfMonthCos => "day_of_month_cos",
            Month => "month",
            MonthSin => "month_sin",
            MonthCos => "month_cos",
            Quarter => "quarter",
            QuarterSin => "quarter_sin",
            QuarterCos => "quarter_cos",
            Hour => "hour",
            HourSin => "hour_sin",
            HourCos => "hour_cos",
            VolRegime => "vol_regime",
            TrendStrength => "trend_strength",
        }
    }

    /// True when the value is unchanged by rescaling the series: multiplying every
    /// price (or every volume) by a constant leaves it as it was (ratios, returns,
    /// oscillators, z-scores, calendar). False for the level features, in price units
    /// (`sma`, `ema`, `macd*`, `atr`, `trange`, `bb_upper/middle/lower`, `vwap`) or volume
    /// units (`volume_sma`, `obv`): a model can recognise the period from their level.
    pub fn scale_free(self) -> bool {
        use FeatureKind::*;
        !matches!(
            self,
            Sma | Ema
                | Macd
                | MacdSignal
                | MacdHist
                | Atr
                | TrueRange
                | BollingerUpper
                | BollingerMiddle
                | BollingerLower
                | VolumeSma
                | Vwap
                | Obv
        )
    }

    /// The family the feature belongs to.
    pub fn family(self) -> Family {
        use FeatureKind::*;
        match self {
            Sma | Ema | CloseToSma | Slope | Macd | MacdSignal | MacdHist | Adx | PlusDi
            | MinusDi => Family::Trend,
            Roc | Return | LogReturn | Rsi => Family::Momentum,
            RealizedVol | Parkinson | GarmanKlass | Atr | Natr | TrueRange | BollingerUpper
            | BollingerMiddle | BollingerLower | BollingerPercentB | BollingerWidth => {
                Family::Volatility
            }
            VolumeSma | VolumeRatio | VolumeZscore | Vwap | VwapDistance | Obv => Family::Volume,
            Zscore | DistanceFromMax | DistanceFromMin => Family::MeanReversion,
            ReturnRank
            | CrossSectionalRank
            | CrossSectionalPercentile
            | CrossSectionalDemeaned
            | CrossSectionalZscore
            | CrossSectionalVolRank
            | CrossSectionalVolumeRank => Family::CrossSectional,
            DayOfWeek | DayOfWeekSin | DayOfWeekCos | DayOfMonth | DayOfMonthSin
            | DayOfMonthCos | Month | MonthSin | MonthCos | Quarter | QuarterSin | QuarterCos
            | Hour | HourSin | HourCos => Family::Seasonality,
            VolRegime | TrendStrength => Family::Regime,
        }
    }
}

/// One feature: its kind and window (`None` for features without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FeatureId {
    /// What it computes.
    pub kind: FeatureKind,
    /// Its window or period.
    pub window: Option<u16>,
}

impl FeatureId {
    /// A windowed feature, e.g. `sma_20`.
    pub const fn windowed(kind: FeatureKind, window: u16) -> Self {
        FeatureId {
            kind,
            window: Some(window),
        }
    }
    /// A feature without a window, e.g. `obv`.
    pub const fn plain(kind: FeatureKind) -> Self {
        FeatureId { kind, window: None }
    }
    /// The name as a fixed-capacity string.
    pub fn name(&self) -> FeatureName {
        let mut s = FeatureName::new();
        // Cannot fail: the longest stem plus `_65535` fits in 32 bytes.
        let _ = write!(s, "{self}");
        s
    }
}

/// A feature name without allocation.
pub type FeatureName = String<32>;

impl fmt::Display for FeatureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.stem())?;
        if let Some(w) = self.window {
            write!(f, "_{w}")?;
        }
        Ok(())
    }
}

/// The ordered features of a configuration and their hash.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Schema<const F: usize> {
    ids: Vec<FeatureId, F>,
    hash: u64,
}

impl<const F: usize> Schema<F> {
    pub(crate) fn new(ids: Vec<FeatureId, F>, config: &FeatureConfig) -> Self {
        let mut h = Fnv1a::new();
        h.bytes(b"tickml-features");
        h.bytes(&FEATURE_FORMAT_VERSION.to_le_bytes());
        for id in ids.iter() {
            let _ = writeln!(h, "{id}");
        }
        let (fast, slow, signal) = config.macd;
        for v in [
            fast,
            slow,
            signal,
            config.vol_regime_window,
            config.vol_regime_lookback,
        ] {
            h.bytes(&v.to_le_bytes());
        }
        h.bytes(&config.bollinger_k.to_bits().to_le_bytes());
        Schema { ids, hash: h.0 }
    }

    /// The features in output order.
    pub fn ids(&self) -> &[FeatureId] {
        &self.ids
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True for an empty schema.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// FNV-1a (64-bit) over a format tag, [`FEATURE_FORMAT_VERSION`], the names in order
    /// and the numeric parameters the names do not show. Model blobs carry it.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Position of the feature called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.ids.iter().position(|id| id.name().as_str() == name)
    }
}

/// 64-bit FNV-1a of `bytes` (identifies a bundle in its state snapshots).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.bytes(bytes);
    h.0
}

/// 64-bit FNV-1a.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Write for Fnv1a {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_published_vectors() {
        // Test vectors from the FNV reference (draft-eastlake-fnv): "" and "a".
        let mut h = Fnv1a::new();
        h.bytes(b"");
        assert_eq!(h.0, 0xcbf29ce484222325);
        h.bytes(b"a");
        assert_eq!(h.0, 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn names_have_window_suffix() {
        assert_eq!(
            FeatureId::windowed(FeatureKind::Sma, 20).name().as_str(),
            "sma_20"
        );
        assert_eq!(
            FeatureId::plain(FeatureKind::MacdHist).name().as_str(),
            "macd_hist"
        );
    }
}
