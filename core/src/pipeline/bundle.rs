//! The deployable bundle (blob kind 4): everything a tick handler needs in one blob.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use crate::arbitrator::{ArbitratorConfig, StrategyFamily};
use crate::features::FeatureConfig;
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
/// were researched on.
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
