//! The pipeline a tick handler runs: one bar through features, regime, models and the
//! arbitrator, in O(1), from a bundle decoded without allocating.

mod bundle;

pub use bundle::{BundlePayload, BundledModel, RegimeSpec, UniverseMembers, MAX_MODELS};

use core::fmt;

use heapless::Vec;

use crate::arbitrator::{
    ArbitrationResult, ArbitratorError, MarketContext, Signal, StrategyArbitrator, StrategyInfo,
    StrategySignal,
};
use crate::bar::Bar;
use crate::bars::{BarBuilder, BarRule, Trade};
use crate::error::Error;
use crate::features::{CrossSectionInput, DefaultFeatureSet, FeatureVector};
use crate::model::{
    BlobKind, CompleteTrees, FeatureBinding, Gathered, LaidOutTrees, Model, ModelBlob, ModelError,
    ScorerRecord, MAX_COMPLETE_FEATURES,
};
use crate::num::Float;
use crate::regime::{Detector, HmmDetector, RegimeDetector, RuleDetector};

/// Feature capacity of a pipeline.
const F: usize = 128;

/// The largest one-bar market return the arbitrator is given (a 10^6-fold move).
pub const MAX_RETURN: f64 = 1e6;

/// The market return the arbitrator scores a bar with: `close / previous - 1`, at most
/// [`MAX_RETURN`]. A return past that (a bad tick, a price-scale change: 1e-300 to
/// 1e300 overflows) is scored as `MAX_RETURN`, so the arbitrator, which refuses
/// non-finite returns, never refuses a bar the feature engine accepted.
pub fn market_return<T: Float>(previous: T, close: T) -> T {
    let max = T::from_f64(MAX_RETURN);
    let r = close / previous - T::ONE;
    if r.is_finite() {
        r.min(max)
    } else {
        max
    }
}

/// What can go wrong building or running a pipeline; a refused bar changes nothing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PipelineError {
    /// A bar or the feature configuration was refused.
    Features(Error),
    /// A blob in the bundle is unusable.
    Model(ModelError),
    /// The arbitrator refused its configuration or inputs.
    Arbitrator(ArbitratorError),
    /// A strategy's model has more than one output (a multiclass model): a strategy
    /// reads one number, a probability of an up move or a return, and a class
    /// probability is neither until its classes are mapped.
    MultiOutputStrategy {
        /// The strategy.
        strategy_id: u32,
        /// The model's outputs.
        outputs: usize,
    },
    /// A trade reached a pipeline whose bundle has no bar rule.
    NoBarRule,
    /// A bar arrived while a universe member's bar awaits [`Pipeline::finish_bar`].
    BarInProgress {
        /// The timestamp of the bar in progress.
        timestamp: i64,
    },
    /// [`Pipeline::finish_bar`] without a [`Pipeline::begin_bar`].
    NoBarInProgress,
    /// A state snapshot was written by a pipeline of another bundle (its strategies,
    /// detector and meta-learner would silently replace these).
    ForeignSnapshot {
        /// This pipeline's bundle hash (FNV-1a of the bundle bytes).
        expected: u64,
        /// The snapshot's.
        found: u64,
    },
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Features(e) => write!(f, "{e}"),
            PipelineError::Model(e) => write!(f, "{e}"),
            PipelineError::Arbitrator(e) => write!(f, "{e}"),
            PipelineError::MultiOutputStrategy {
                strategy_id,
                outputs,
            } => write!(
                f,
                "strategy {strategy_id}: its model has {outputs} outputs; a strategy needs one \
                 (P(up) or a return)"
            ),
            PipelineError::NoBarRule => write!(
                f,
                "the bundle has no bar rule: train it on trades with one (--bars) to stream trades"
            ),
            PipelineError::BarInProgress { timestamp } => write!(
                f,
                "the bar at {timestamp} awaits its cross-section (finish_bar) before another"
            ),
            PipelineError::NoBarInProgress => {
                write!(
                    f,
                    "finish_bar without begin_bar: no bar awaits its cross-section"
                )
            }
            PipelineError::ForeignSnapshot { expected, found } => write!(
                f,
                "the snapshot belongs to bundle {found:#018x}, not this one ({expected:#018x})"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PipelineError {}

impl From<Error> for PipelineError {
    fn from(e: Error) -> Self {
        PipelineError::Features(e)
    }
}
impl From<ModelError> for PipelineError {
    fn from(e: ModelError) -> Self {
        PipelineError::Model(e)
    }
}
impl From<ArbitratorError> for PipelineError {
    fn from(e: ArbitratorError) -> Self {
        PipelineError::Arbitrator(e)
    }
}

/// One bar's decision.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Decision<T> {
    /// The bar's timestamp (unix ns).
    pub timestamp: i64,
    /// Each base model's prediction (probability or value), bundle order.
    pub predictions: Vec<T, MAX_MODELS>,
    /// The arbitrator's output.
    pub arbitration: ArbitrationResult<T, MAX_MODELS>,
}

#[derive(Clone)]
struct BoundModel<'a> {
    id: u32,
    probability: bool,
    model: Model<'a>,
    /// The model's trees laid out ([`Pipeline::lay_out_trees`]).
    laid_out: Option<LaidOutTrees<'a>>,
    binding: FeatureBinding<F>,
    /// The model before it in the bundle reads the same features in the same order, so
    /// its gathered inputs serve this one too.
    inputs_as_previous: bool,
}

/// The mutable state of a pipeline (what a snapshot holds).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PipelineState<T> {
    /// FNV-1a of the bundle the state belongs to.
    bundle: u64,
    features: DefaultFeatureSet<T>,
    detector: Detector<T>,
    arbitrator: StrategyArbitrator<T, MAX_MODELS, 128>,
    prev_close: Option<T>,
    /// The bar being built from trades (bundles with a bar rule).
    bars: Option<BarBuilder<T>>,
    /// A universe member's bar between [`Pipeline::begin_bar`] and
    /// [`Pipeline::finish_bar`]: its timestamp and close.
    in_progress: Option<(i64, T)>,
}

/// A bundle bound to its feature engine, detector, models and arbitrator. A clone
/// copies the state: a clone of a fresh pipeline is a fresh pipeline, without decoding
/// and validating the bundle again.
#[derive(Clone)]
pub struct Pipeline<'a, T> {
    state: PipelineState<T>,
    models: Vec<BoundModel<'a>, MAX_MODELS>,
    names: Vec<&'a str, MAX_MODELS>,
    universe: UniverseMembers<'a>,
    vol_regime: usize,
    trend_strength: usize,
}

impl<'a, T: Float> Pipeline<'a, T> {
    /// Decodes and validates `bytes` (a bundle blob) and builds the pipeline. Every model
    /// is bound to the features by name and must carry the bundle's schema hash (or 0).
    pub fn from_bundle(bytes: &'a [u8]) -> Result<Self, PipelineError> {
        let blob = ModelBlob::parse(bytes)?;
        let payload = blob.payload_of(BlobKind::Bundle)?;
        let malformed = |_| ModelError::Malformed {
            what: "bundle payload does not decode",
        };
        let version = blob.header().version;
        let (p, rest) = bundle::decode_payload(version, payload).map_err(malformed)?;
        let (rule, universe) = match version {
            2 => (None, UniverseMembers::default()),
            3 => (
                postcard::from_bytes(rest).map_err(malformed)?,
                UniverseMembers::default(),
            ),
            _ => {
                let (rule, members): (Option<BarRule>, &'a [u8]) =
                    postcard::take_from_bytes(rest).map_err(malformed)?;
                (rule, UniverseMembers::parse(members).map_err(malformed)?)
            }
        };
        let bars = rule.map(BarBuilder::new).transpose()?;
        let features = DefaultFeatureSet::<T>::new(p.features)?;
        let hash = features.schema().hash();
        if blob.header().schema_hash != hash {
            return Err(ModelError::SchemaMismatch {
                expected: hash,
                found: blob.header().schema_hash,
            }
            .into());
        }
        let detector = match p.regime {
            RegimeSpec::Rules(c) => Detector::Rules(RuleDetector::new(c, features.schema())?),
            RegimeSpec::Hmm(b) => Detector::Hmm(HmmDetector::new(b, features.schema())?),
        };
        let mut arbitrator = StrategyArbitrator::new(p.arbitrator)?;
        let mut models = Vec::new();
        let mut names = Vec::new();
        for m in p.models.iter() {
            let model = Model::from_blob(m.blob)?;
            if model.outputs() != 1 {
                return Err(PipelineError::MultiOutputStrategy {
                    strategy_id: m.strategy_id,
                    outputs: model.outputs(),
                });
            }
            if model.schema_hash() != 0 && model.schema_hash() != hash {
                return Err(ModelError::SchemaMismatch {
                    expected: hash,
                    found: model.schema_hash(),
                }
                .into());
            }
            let binding = FeatureBinding::bind(model.feature_names(), features.schema())?;
            arbitrator.register_strategy(m.strategy_id, StrategyInfo { family: m.family })?;
            let inputs_as_previous = models
                .last()
                .is_some_and(|p: &BoundModel<'a>| p.binding == binding);
            let _ = models.push(BoundModel {
                id: m.strategy_id,
                probability: m.probability,
                model,
                laid_out: None,
                binding,
                inputs_as_previous,
            });
            let _ = names.push(m.name);
        }
        if let Some(meta) = p.meta_learner {
            arbitrator.set_meta_learner(meta)?;
        }
        let index = |name: &str| {
            features
                .schema()
                .index_of(name)
                .ok_or(ModelError::MissingFeature {
                    name: crate::features::FeatureName::try_from(name).unwrap_or_default(),
                })
        };
        let (vol_regime, trend_strength) = (index("vol_regime")?, index("trend_strength_20")?);
        Ok(Pipeline {
            state: PipelineState {
                bundle: crate::features::fnv1a(bytes),
                features,
                detector,
                arbitrator,
                prev_close: None,
                bars,
                in_progress: None,
            },
            models,
            names,
            universe,
            vol_regime,
            trend_strength,
        })
    }

    /// Records [`Pipeline::lay_out_trees`] takes: [`LaidOutTrees::records_needed`] of
    /// every tree model.
    pub fn scorer_records_needed(&self) -> usize {
        self.models
            .iter()
            .filter_map(|m| match &m.model {
                Model::Trees(trees) => Some(LaidOutTrees::records_needed(trees)),
                Model::Linear(_) => None,
            })
            .fold(0, usize::saturating_add)
    }

    /// Lays every tree model out in `buf` (at least [`Pipeline::scorer_records_needed`]
    /// records) as [`LaidOutTrees`] (complete trees for shallow ones, QuickScorer's layout
    /// otherwise), which its predictions then use: the same numbers, bit for bit, faster
    /// than the walk from the blob (README, Performance). A model neither holds (a tree
    /// deeper than [`crate::model::MAX_COMPLETE_DEPTH`] with more than
    /// [`crate::model::MAX_LEAVES`] leaves) keeps the walk. Clones share the layout. On
    /// an error (`buf` too short) nothing changes.
    pub fn lay_out_trees(&mut self, buf: &'a mut [ScorerRecord]) -> Result<(), PipelineError> {
        let capacity = buf.len();
        let mut layouts: Vec<Option<LaidOutTrees<'a>>, MAX_MODELS> = Vec::new();
        let mut rest = buf;
        for m in self.models.iter() {
            let layout = match m.model {
                Model::Trees(trees) => {
                    let (mine, after) = core::mem::take(&mut rest)
                        .split_at_mut_checked(LaidOutTrees::records_needed(&trees))
                        .ok_or(ModelError::CapacityExceeded {
                            what: "laid-out tree records",
                            capacity,
                        })?;
                    rest = after;
                    match LaidOutTrees::new(trees, mine) {
                        Ok(layout) => Some(layout),
                        Err(ModelError::CapacityExceeded { .. }) => None,
                        Err(e) => return Err(e.into()),
                    }
                }
                Model::Linear(_) => None,
            };
            let _ = layouts.push(layout);
        }
        for (m, layout) in self.models.iter_mut().zip(layouts.iter()) {
            m.laid_out = *layout;
        }
        Ok(())
    }

    /// Uses `records` that [`Pipeline::lay_out_trees`] laid out before for a pipeline of
    /// the same bundle, kept for reuse: a build script can write them out as a `static`
    /// ([`ScorerRecord::from_bits`]), so that the layout lives in flash and takes no RAM.
    /// Every tree model must be held by complete trees, and every word must be its
    /// layout's ([`CompleteTrees::from_records`]): `LayoutMismatch` names a word that is
    /// not, counted from the start of `records`, so records of another bundle or
    /// of another build's layout are refused, not misread. On an error nothing changes.
    pub fn use_laid_out_trees(&mut self, records: &'a [ScorerRecord]) -> Result<(), PipelineError> {
        let mut layouts: Vec<Option<LaidOutTrees<'a>>, MAX_MODELS> = Vec::new();
        let mut start = 0usize;
        for m in self.models.iter() {
            let layout = match m.model {
                Model::Trees(trees) => {
                    let end = start.saturating_add(CompleteTrees::records_needed(&trees)?);
                    // short records: the first missing word is reported
                    let mine = records
                        .get(start..end)
                        .or_else(|| records.get(start..))
                        .unwrap_or(&[]);
                    let layout = CompleteTrees::from_records(trees, mine).map_err(|e| match e {
                        ModelError::LayoutMismatch { word } => ModelError::LayoutMismatch {
                            word: start.saturating_add(word),
                        },
                        e => e,
                    })?;
                    start = end;
                    Some(LaidOutTrees::Complete(layout))
                }
                Model::Linear(_) => None,
            };
            let _ = layouts.push(layout);
        }
        if records.len() != start {
            return Err(ModelError::LayoutMismatch { word: start }.into());
        }
        for (m, layout) in self.models.iter_mut().zip(layouts.iter()) {
            m.laid_out = *layout;
        }
        Ok(())
    }

    /// The universe the bundle declares (empty for one series): a deployment decides a
    /// timestamp's members together ([`Pipeline::begin_bar`]).
    pub fn universe(&self) -> UniverseMembers<'a> {
        self.universe
    }

    /// The design's `get_strategy_summary()` of the pipeline's arbitrator (strategies in
    /// bundle order).
    pub fn strategy_summary(&self) -> Vec<crate::arbitrator::StrategySummary<T>, MAX_MODELS> {
        self.state.arbitrator.strategy_summary()
    }

    /// The base models' names, bundle order.
    pub fn model_names(&self) -> &[&'a str] {
        &self.names
    }

    /// The latest features.
    pub fn features(&self) -> &FeatureVector<T, F> {
        self.state.features.features()
    }

    /// The feature engine (schema, names).
    pub fn feature_set(&self) -> &DefaultFeatureSet<T> {
        &self.state.features
    }

    /// Runs one bar: features, regime, every model, the arbitrator. A model's prediction
    /// is absent (NaN, a Neutral signal of confidence 0) until every feature it reads is
    /// present. A bar the feature engine refuses (a timestamp that does not increase) is
    /// an error and changes nothing.
    pub fn on_bar(&mut self, bar: &Bar<T>) -> Result<Decision<T>, PipelineError> {
        self.refuse_in_progress()?;
        self.state.features.update(bar)?;
        self.decide(bar.timestamp(), bar.close())
    }

    /// The first half of a universe member's bar: the feature engine takes it, and the
    /// member's input to its timestamp's cross-section comes back (None on its first
    /// bar, which has no return). Once every member of the timestamp has begun its bar,
    /// [`Pipeline::finish_bar`] decides each; until then this pipeline takes no other
    /// bar ([`PipelineError::BarInProgress`]). A refused bar changes nothing.
    pub fn begin_bar(
        &mut self,
        bar: &Bar<T>,
    ) -> Result<Option<CrossSectionInput<T>>, PipelineError> {
        self.refuse_in_progress()?;
        self.state.features.update(bar)?;
        self.state.in_progress = Some((bar.timestamp(), bar.close()));
        Ok(self.state.features.cross_section_input())
    }

    /// The second half: the cross-sectional features are set from `members`, the
    /// inputs of every member of the timestamp that has one, this one's included, in
    /// one order for all of them ([`FeatureSet::rank_against`]); then regime, models and
    /// arbitrator run as in [`Pipeline::on_bar`].
    ///
    /// [`FeatureSet::rank_against`]: crate::FeatureSet::rank_against
    pub fn finish_bar(
        &mut self,
        members: &[CrossSectionInput<T>],
    ) -> Result<Decision<T>, PipelineError> {
        let (timestamp, close) = self
            .state
            .in_progress
            .take()
            .ok_or(PipelineError::NoBarInProgress)?;
        self.state.features.rank_against(members);
        self.decide(timestamp, close)
    }

    fn refuse_in_progress(&self) -> Result<(), PipelineError> {
        match self.state.in_progress {
            Some((timestamp, _)) => Err(PipelineError::BarInProgress { timestamp }),
            None => Ok(()),
        }
    }

    /// Catches a newly deployed bundle up on history: the bar updates the feature engine
    /// and the regime detector but runs no model and leaves the arbitrator untouched, so
    /// its scores start with the first decided bar (a walk-forward backtest warms each
    /// retrained bundle on the bars before its window this way). A bar the feature
    /// engine refuses is an error and changes nothing.
    pub fn warm(&mut self, bar: &Bar<T>) -> Result<(), PipelineError> {
        self.refuse_in_progress()?;
        let s = &mut self.state;
        s.features.update(bar)?;
        s.detector.update(s.features.features().values());
        s.prev_close = Some(bar.close());
        Ok(())
    }

    /// The bundle's bar rule, if it streams trades.
    pub fn bar_rule(&self) -> Option<BarRule> {
        self.state.bars.as_ref().map(BarBuilder::rule)
    }

    /// The bar builder of a bundle with a bar rule: the bar being built
    /// ([`BarBuilder::pending`]) and the expectations of an information-driven rule.
    pub fn bar_builder(&self) -> Option<&BarBuilder<T>> {
        self.state.bars.as_ref()
    }

    /// Adds a trade to the bar being built by the bundle's rule; when it completes a
    /// bar, runs that bar ([`Pipeline::on_bar`]) and returns its decision. A refused
    /// trade (an earlier timestamp) or bar changes nothing; without a bar rule every
    /// trade is refused ([`PipelineError::NoBarRule`]).
    pub fn on_trade(&mut self, trade: &Trade<T>) -> Result<Option<Decision<T>>, PipelineError> {
        self.refuse_in_progress()?;
        let builder = self.state.bars.as_mut().ok_or(PipelineError::NoBarRule)?;
        let before = builder.clone();
        let Some(bar) = builder.on_trade(trade)? else {
            return Ok(None);
        };
        self.decide_or_restore(&bar, before)
    }

    /// At the end of the trades: the decision on the time bar still being built, if any
    /// ([`BarBuilder::finish`]).
    pub fn finish_trades(&mut self) -> Result<Option<Decision<T>>, PipelineError> {
        let builder = self.state.bars.as_mut().ok_or(PipelineError::NoBarRule)?;
        let before = builder.clone();
        let Some(bar) = builder.finish()? else {
            return Ok(None);
        };
        self.decide_or_restore(&bar, before)
    }

    fn decide_or_restore(
        &mut self,
        bar: &Bar<T>,
        builder: BarBuilder<T>,
    ) -> Result<Option<Decision<T>>, PipelineError> {
        match self.on_bar(bar) {
            Ok(d) => Ok(Some(d)),
            Err(e) => {
                // the bar was refused: the trade is not taken either
                self.state.bars = Some(builder);
                Err(e)
            }
        }
    }

    /// The regime, models and arbitrator on the features of the bar at `timestamp`
    /// closing at `close`, which the feature engine has taken.
    fn decide(&mut self, timestamp: i64, close: T) -> Result<Decision<T>, PipelineError> {
        let s = &mut self.state;
        let features = s.features.features().values();
        let mut regime = s.detector.update(features);
        // a detector that lost its footing (an HMM fed extreme features) says nothing
        // rather than failing the bar the feature engine already accepted
        if !(regime.confidence >= T::ZERO && regime.confidence <= T::ONE) {
            regime = crate::regime::RegimeState::unknown();
        }
        let mut predictions: Vec<T, MAX_MODELS> = Vec::new();
        let mut signals: Vec<StrategySignal<T>, MAX_MODELS> = Vec::new();
        // complete trees walk the gathered inputs in this block without copying them
        let mut scratch = [T::NAN; MAX_COMPLETE_FEATURES];
        let mut out = [T::ZERO; 1];
        let mut inputs = None;
        for m in self.models.iter() {
            if !m.inputs_as_previous {
                inputs = m.binding.gather_present_into(features, &mut scratch);
            }
            // a model speaks once every feature it reads has warmed up
            let predicted = inputs.map(|at| match (&m.laid_out, at) {
                (Some(LaidOutTrees::Complete(trees)), Gathered::Copied(_)) => {
                    trees.predict_gathered(&scratch, &mut out)
                }
                (Some(trees), _) => trees.predict(at.inputs(features, &scratch), &mut out),
                (None, _) => m.model.predict(at.inputs(features, &scratch), &mut out),
            });
            let p = match predicted {
                Some(Ok(())) => out.first().copied().unwrap_or(T::NAN),
                _ => T::NAN,
            };
            let _ = predictions.push(p);
            let (signal, confidence) = Signal::from_prediction(m.probability, p);
            let _ = signals.push(StrategySignal {
                strategy_id: m.id,
                timestamp,
                signal,
                confidence,
                expected_return: T::ZERO,
                volatility: T::ZERO,
                regime: Some(regime.regime),
            });
        }
        let get = |i: usize| features.get(i).copied().unwrap_or(T::NAN);
        let market = MarketContext {
            vol_regime: get(self.vol_regime),
            trend_strength: get(self.trend_strength),
            regime,
        };
        let market_return = s.prev_close.map_or(T::ZERO, |p| market_return(p, close));
        let arbitration = s
            .arbitrator
            .process_signals(&signals, &market, market_return)?;
        s.prev_close = Some(close);
        Ok(Decision {
            timestamp,
            predictions,
            arbitration,
        })
    }
}

#[cfg(feature = "serde")]
impl<T> Pipeline<'_, T>
where
    T: Float + serde::Serialize + serde::de::DeserializeOwned,
{
    /// Serialises the pipeline's state (features, detector, arbitrator) with postcard.
    pub fn snapshot<'b>(&self, buf: &'b mut [u8]) -> Result<&'b mut [u8], PipelineError> {
        postcard::to_slice(&self.state, buf).map_err(|_| Error::BufferTooSmall.into())
    }

    /// Restores a state written by [`Pipeline::snapshot`] of a pipeline from the same
    /// bundle; a snapshot of another bundle is refused, and nothing changes on an error.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), PipelineError> {
        let state: PipelineState<T> =
            postcard::from_bytes(bytes).map_err(|_| PipelineError::Features(Error::BadSnapshot))?;
        if state.bundle != self.state.bundle {
            return Err(PipelineError::ForeignSnapshot {
                expected: self.state.bundle,
                found: state.bundle,
            });
        }
        if state.features.schema() != self.state.features.schema() {
            return Err(PipelineError::Features(Error::BadSnapshot));
        }
        self.state = state;
        Ok(())
    }
}
