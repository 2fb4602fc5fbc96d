//! The deployable bundle (blob kind 4): everything a tick handler needs in one blob.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use crate::arbitrator::{ArbitratorConfig, StrategyFamily};
use crate::features::{CrossSection, FeatureConfig, Windows};
use crate::regime::RuleConfig;

/// Most base models (strategies) in a bundle.
pub const MAX_MODELS: usize = 8;

/// A base model and the strategy it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BundledModel<'a> {
    /// Strategy id in the arbitrator.
    pub strategy_id: u32,
    /// Strategy family (its regime multipliers).
    pub family: StrategyFamily,
    /// A name for reports, e.g. `gradient_boosting`.
    pub name: &'a str,
    /// The model predicts a probability of an up move (a classifier), else a value
    /// whose sign is its direction (a regressor).
    pub probability: bool,
    /// The model blob (kind 1 or 2).
    pub blob: &'a [u8],
}

/// The regime detector of a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RegimeSpec<'a> {
    /// The rule-based detector with these thresholds.
    Rules(RuleConfig),
    /// A Gaussian HMM blob (kind 3).
    Hmm(&'a [u8]),
}

/// The postcard payload of a bundle blob. Since format version 3 it is followed by a
/// postcard `Option<BarRule>`: how the bundle builds bars from trades
/// ([`crate::pipeline::Pipeline::on_trade`]), so a deployment uses the bars its models
/// were researched on; since version 4 by the universe's members ([`UniverseMembers`]),
/// and the feature configuration has `cross_section`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundlePayload<'a> {
    /// The feature configuration (its schema hash is the header's).
    pub features: FeatureConfig,
    /// The base models.
    #[serde(borrow)]
    pub models: Vec<BundledModel<'a>, MAX_MODELS>,
    /// The regime detector.
    #[serde(borrow)]
    pub regime: RegimeSpec<'a>,
    /// The arbitrator's configuration.
    pub arbitrator: ArbitratorConfig,
    /// An optional stacking meta-learner (a linear blob, see `arbitrator::MetaLearner`).
    pub meta_learner: Option<&'a [u8]>,
}

/// The feature configuration as bundles of format versions 2 and 3 wrote it: the fields
/// of [`FeatureConfig`] in order, without `cross_section` (they rank only).
type FeatureConfigV3 = (
    Windows,
    Windows,
    Windows,
    Windows,
    Windows,
    Windows,
    Windows,
    u16,
    u16,
    u16,
    (u16, u16, u16),
    u16,
    f64,
    u16,
    u16,
);

/// A [`BundlePayload`] of format versions 2 and 3.
type BundlePayloadV3<'a> = (
    FeatureConfigV3,
    Vec<BundledModel<'a>, MAX_MODELS>,
    RegimeSpec<'a>,
    ArbitratorConfig,
    Option<&'a [u8]>,
);

/// Decodes the payload of a bundle of format `version` (2 to 4) and returns what
/// follows it.
pub(crate) fn decode_payload(
    version: u16,
    bytes: &[u8],
) -> Result<(BundlePayload<'_>, &[u8]), postcard::Error> {
    if version >= 4 {
        return postcard::take_from_bytes(bytes);
    }
    let (old, rest): (BundlePayloadV3<'_>, &[u8]) = postcard::take_from_bytes(bytes)?;
    let (f, models, regime, arbitrator, meta_learner) = old;
    let features = FeatureConfig {
        trend_windows: f.0,
        momentum_windows: f.1,
        volatility_windows: f.2,
        volume_windows: f.3,
        mean_reversion_windows: f.4,
        rank_windows: f.5,
        trend_strength_windows: f.6,
        rsi_period: f.7,
        atr_period: f.8,
        adx_period: f.9,
        macd: f.10,
        bollinger_window: f.11,
        bollinger_k: f.12,
        vol_regime_window: f.13,
        vol_regime_lookback: f.14,
        cross_section: CrossSection::Ranks,
    };
    let payload = BundlePayload {
        features,
        models,
        regime,
        arbitrator,
        meta_learner,
    };
    Ok((payload, rest))
}

/// The symbols a bundle declares as its universe (format version 4: a postcard sequence
/// of strings after the bar rule; empty for one series), read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UniverseMembers<'a> {
    count: usize,
    bytes: &'a [u8],
}

impl<'a> UniverseMembers<'a> {
    /// Validates the section: a count, that many UTF-8 strings, nothing after them.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, postcard::Error> {
        let (count, mut rest): (u32, &[u8]) = postcard::take_from_bytes(bytes)?;
        let strings = rest;
        for _ in 0..count {
            let (_, after): (&str, &[u8]) = postcard::take_from_bytes(rest)?;
            rest = after;
        }
        if !rest.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        Ok(UniverseMembers {
            count: usize::try_from(count).unwrap_or(usize::MAX),
            bytes: strings,
        })
    }

    /// Number of members (0: the bundle runs one series).
    pub fn len(&self) -> usize {
        self.count
    }

    /// True for a bundle without a universe.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True when `symbol` is a member.
    pub fn contains(&self, symbol: &str) -> bool {
        self.iter().any(|m| m == symbol)
    }

    /// The members in the order the bundle lists them.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut rest = self.bytes;
        (0..self.count).map_while(move |_| {
            let (name, after): (&'a str, &'a [u8]) = postcard::take_from_bytes(rest).ok()?;
            rest = after;
            Some(name)
        })
    }
}
