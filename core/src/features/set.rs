//! [`FeatureSet`]: one symbol's feature engine.

use heapless::Vec;

use super::config::FeatureConfig;
use super::cross_sectional::{CrossSectionInput, CrossSectional};
use super::history::{History, Writer};
use super::mean_reversion::MeanReversion;
use super::momentum::Momentum;
use super::regime::Regime;
use super::schema::{FeatureId, FeatureKind, Schema};
use super::seasonality::Seasonality;
use super::trend::Trend;
use super::volatility::Volatility;
use super::volume::Volume;
use crate::bar::Bar;
use crate::error::Error;
use crate::num::Float;

/// One bar's features in schema order; absent features are NaN.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeatureVector<T, const F: usize> {
    values: Vec<T, F>,
}

impl<T: Float, const F: usize> FeatureVector<T, F> {
    fn with_len(len: usize) -> Self {
        let mut values = Vec::new();
        // Cannot fail: the caller checked len <= F.
        let _ = values.resize(len, T::NAN);
        FeatureVector { values }
    }

    /// The dense values, NaN where absent: what models take.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// Feature `i`, if present.
    pub fn get(&self, i: usize) -> Option<T> {
        self.values.get(i).copied().filter(|v| !v.to_f64().is_nan())
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True for an empty schema.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub(crate) fn set(&mut self, i: usize, value: Option<T>) {
        if let Some(slot) = self.values.get_mut(i) {
            *slot = value.unwrap_or(T::NAN);
        }
    }
}

/// The incremental feature engine for one symbol.
///
/// `W` is the history capacity (every window must be shorter), `F` the capacity of
/// the feature vector. The default set needs `W > 200` and `F >= 110`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeatureSet<T, const W: usize = 256, const F: usize = 128> {
    config: FeatureConfig,
    schema: Schema<F>,
    last_timestamp: Option<i64>,
    history: History<T, W>,
    trend: Trend<T>,
    momentum: Momentum<T>,
    volatility: Volatility<T>,
    volume: Volume<T>,
    mean_reversion: MeanReversion<W>,
    cross_sectional: CrossSectional<W>,
    seasonality: Seasonality<T>,
    regime: Regime<T, W>,
    output: FeatureVector<T, F>,
    /// Where the cross-section's features and inputs are in the output.
    cross_section: Option<CrossSectionSlots>,
}

/// Output positions of the cross-sectional features and of the features they rank.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct CrossSectionSlots {
    rank: u16,
    pct: u16,
    demeaned: Option<u16>,
    zscore: Option<u16>,
    vol_rank: Option<u16>,
    volume_rank: Option<u16>,
    vol_source: Option<u16>,
    volume_source: Option<u16>,
}

/// The default capacities: 256 bars of history, 128 features.
pub type DefaultFeatureSet<T> = FeatureSet<T, 256, 128>;

impl<T: Float, const W: usize, const F: usize> FeatureSet<T, W, F> {
    /// Validates `config` against `W` and `F` and builds the engine.
    pub fn new(config: FeatureConfig) -> Result<Self, Error> {
        config.validate(W)?;
        let trend = Trend::new(&config)?;
        let momentum = Momentum::new(&config)?;
        let volatility = Volatility::new(&config)?;
        let volume = Volume::new(&config)?;
        let mean_reversion = MeanReversion::new(&config)?;
        let cross_sectional = CrossSectional::new(&config)?;
        let seasonality = Seasonality::new();
        let regime = Regime::new(&config)?;
        let mut ids: Vec<FeatureId, F> = Vec::new();
        let mut needed = 0usize;
        let mut collect = |id: FeatureId| {
            needed = needed.saturating_add(1);
            let _ = ids.push(id);
        };
        trend.ids(&mut collect);
        momentum.ids(&mut collect);
        volatility.ids(&mut collect);
        volume.ids(&mut collect);
        mean_reversion.ids(&mut collect);
        cross_sectional.ids(&mut collect);
        seasonality.ids(&mut collect);
        regime.ids(&mut collect);
        if needed > F {
            return Err(Error::TooManyFeatures {
                needed,
                capacity: F,
            });
        }
        let output = FeatureVector::with_len(needed);
        let position = |wanted: &dyn Fn(&FeatureId) -> bool| {
            ids.iter()
                .position(wanted)
                .and_then(|i| u16::try_from(i).ok())
        };
        let slot = |kind| position(&|id: &FeatureId| id.kind == kind);
        let (vol_id, volume_id) = cross_sectional.ranked_sources();
        let source = |id: Option<FeatureId>| id.and_then(|id| position(&|i| *i == id));
        let cross_section = slot(FeatureKind::CrossSectionalRank)
            .zip(slot(FeatureKind::CrossSectionalPercentile))
            .map(|(rank, pct)| CrossSectionSlots {
                rank,
                pct,
                demeaned: slot(FeatureKind::CrossSectionalDemeaned),
                zscore: slot(FeatureKind::CrossSectionalZscore),
                vol_rank: slot(FeatureKind::CrossSectionalVolRank),
                volume_rank: slot(FeatureKind::CrossSectionalVolumeRank),
                vol_source: source(vol_id),
                volume_source: source(volume_id),
            });
        Ok(FeatureSet {
            cross_section,
            schema: Schema::new(ids, &config),
            history: History::new(&config),
            config,
            last_timestamp: None,
            trend,
            momentum,
            volatility,
            volume,
            mean_reversion,
            cross_sectional,
            seasonality,
            regime,
            output,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// The ordered feature ids and the schema hash.
    pub fn schema(&self) -> &Schema<F> {
        &self.schema
    }

    /// The latest features (all absent before the first bar).
    pub fn features(&self) -> &FeatureVector<T, F> {
        &self.output
    }

    /// Bars accepted so far.
    pub fn bars_seen(&self) -> u64 {
        self.history.bars
    }

    /// Timestamp of the last accepted bar.
    pub fn last_timestamp(&self) -> Option<i64> {
        self.last_timestamp
    }

    /// The one-bar log return of the last bar, from the second bar on.
    pub fn last_log_return(&self) -> Option<T> {
        if self.history.has_change() {
            self.history.log_return.newest()
        } else {
            None
        }
    }

    /// True when the configuration has cross-sectional features: a member's values
    /// then depend on the other members of its timestamp.
    pub fn is_cross_sectional(&self) -> bool {
        self.cross_section.is_some()
    }

    /// This member's input to its timestamp's cross-section, from the second bar on:
    /// its one-bar log return and the volatility and volume ratio the extended ranks
    /// read ([`CrossSection::Extended`](super::CrossSection::Extended)).
    pub fn cross_section_input(&self) -> Option<CrossSectionInput<T>> {
        let slots = self.cross_section?;
        let read = |slot: Option<u16>| slot.and_then(|i| self.output.get(usize::from(i)));
        Some(CrossSectionInput {
            log_return: self.last_log_return()?,
            volatility: read(slots.vol_source),
            volume_ratio: read(slots.volume_source),
        })
    }

    /// Checks that `bar` may follow the bars seen so far.
    pub fn check(&self, bar: &Bar<T>) -> Result<(), Error> {
        match self.last_timestamp {
            Some(previous) if bar.timestamp() <= previous => Err(Error::TimestampNotIncreasing {
                previous,
                got: bar.timestamp(),
            }),
            _ => Ok(()),
        }
    }

    /// Takes one bar and returns the features at its close. A bar whose timestamp is
    /// not after the previous one is refused and changes nothing.
    pub fn update(&mut self, bar: &Bar<T>) -> Result<&FeatureVector<T, F>, Error> {
        self.check(bar)?;
        let prev_close = self.history.close.newest();
        self.history.push(bar);
        self.last_timestamp = Some(bar.timestamp());
        let h = &self.history;
        let mut out = Writer::new(&mut self.output.values);
        self.trend.update(bar, h, &mut out);
        self.momentum.update(h, &mut out);
        self.volatility.update(bar, prev_close, h, &mut out);
        self.volume.update(bar, h, &mut out);
        self.mean_reversion.update(h, &mut out);
        self.cross_sectional.update(h, &mut out);
        self.seasonality.update(bar.timestamp(), &mut out);
        self.regime.update(h, &mut out);
        debug_assert_eq!(out.unwritten(), 0, "families and ids disagree");
        Ok(&self.output)
    }

    /// Fills the cross-sectional features of the latest bar from `members`, the
    /// [`FeatureSet::cross_section_input`] of every member of the timestamp that has one,
    /// this one included, in an order that is the same for every member (by symbol, say:
    /// the mean is summed in that order, so research and live agree to the bit). With m
    /// members and this one's return r: `xs_rank = 1 + #{r_j < r}` (ties share the lowest
    /// rank), `xs_pct = #{r_j < r} / (m - 1)` (0.5 alone), `xs_demeaned = r - mean`,
    /// `xs_zscore = (r - mean) / sd` (population sd, 0 when it is 0); the volatility and
    /// volume-ratio ranks are `xs_pct`'s rule over the members that have one. Nothing
    /// happens before the second bar (no return yet). O(m).
    pub fn rank_against(&mut self, members: &[CrossSectionInput<T>]) {
        let (Some(slots), Some(own)) = (self.cross_section, self.cross_section_input()) else {
            return;
        };
        let pct = |below: usize, others: usize| {
            if others == 0 {
                T::from_f64(0.5)
            } else {
                T::from_usize(below) / T::from_usize(others)
            }
        };
        let rank_by = |value: fn(&CrossSectionInput<T>) -> Option<T>| -> Option<T> {
            let mine = value(&own)?;
            let present = members.iter().filter_map(value);
            let (below, n) = present.fold((0usize, 0usize), |(b, n), v| {
                (b.saturating_add(usize::from(v < mine)), n.saturating_add(1))
            });
            Some(pct(below, n.saturating_sub(1)))
        };
        let r = own.log_return;
        let below = members.iter().filter(|m| m.log_return < r).count();
        let m = T::from_usize(members.len().max(1));
        let mean = members.iter().fold(T::ZERO, |s, x| s + x.log_return) / m;
        let var = members.iter().fold(T::ZERO, |s, x| {
            let d = x.log_return - mean;
            s + d * d
        }) / m;
        let sd = var.sqrt();
        let z = if sd > T::ZERO && sd.is_finite() {
            (r - mean) / sd
        } else {
            T::ZERO
        };
        let mut put = |slot: Option<u16>, value: Option<T>| {
            if let Some(i) = slot {
                self.output.set(usize::from(i), value);
            }
        };
        put(
            Some(slots.rank),
            Some(T::from_usize(below.saturating_add(1))),
        );
        put(
            Some(slots.pct),
            Some(pct(below, members.len().saturating_sub(1))),
        );
        put(slots.demeaned, Some(r - mean));
        put(slots.zscore, Some(z));
        put(slots.vol_rank, rank_by(|x| x.volatility));
        put(slots.volume_rank, rank_by(|x| x.volume_ratio));
    }
}

#[cfg(feature = "serde")]
impl<T, const W: usize, const F: usize> FeatureSet<T, W, F>
where
    T: Float + serde::Serialize + serde::de::DeserializeOwned,
{
    /// Serialises the whole state with postcard into `buf`, returning the used part.
    pub fn snapshot<'b>(&self, buf: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
        postcard::to_slice(self, buf).map_err(|_| Error::BufferTooSmall)
    }

    /// Restores a state written by [`FeatureSet::snapshot`]; continuing from it gives
    /// bit-identical features to an uninterrupted run.
    pub fn restore(bytes: &[u8]) -> Result<Self, Error> {
        postcard::from_bytes(bytes).map_err(|_| Error::BadSnapshot)
    }
}
