//! # tickml-train
//!
//! The offline side of tickml. Everything here runs the core's own streaming engine
//! over history, so a model is trained on exactly the numbers it will see live.
//!
//! - [`data`]: OHLCV CSV reading with validation (a bad row is an error naming its line).
//! - [`ml`]: `MLPipeline`, the library face of the whole flow.
//! - [`cv`]: purged K-fold, walk-forward and combinatorial purged cross-validation.
//! - [`stats`]: multiple-testing control, importance, ablation, PSR / DSR, PBO.
//! - [`transforms`]: causal transforms (differences, rolling z-score and rank, fractional differencing).
//! - [`audit`]: the lookahead audit.
//! - [`codegen`]: `no_std` Rust source generated from a tree-ensemble blob.
//! - [`cross_section`]: one timestamp of a universe decided together (live and backtest).
//! - [`checkpoint`]: a symbol's pipeline snapshot and the input sequence it covers.
//! - [`session`]: a live stream of bars through a bundle, a pipeline per symbol.
//! - [`dataset`]: features over a whole history through [`tickml_core::FeatureSet`].
//! - [`export`]: owned model descriptions encoded as the core's blobs.
//! - [`import`]: LightGBM and XGBoost model files converted to the core's split rule.
//! - [`replay`]: the arbitrator replayed over out-of-fold predictions.
//! - [`trials`]: the log of every configuration tried on a data set (for the DSR).
//! - [`backtest`]: the walk-forward backtest of the live pipeline, with costs and baselines.

pub mod audit;
pub mod backtest;
pub mod checkpoint;
pub mod codegen;
pub mod cross_section;
pub mod cv;
pub mod data;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod hmm;
pub mod import;
pub mod ml;
pub mod models;
pub mod partition;
pub mod pipeline;
pub mod replay;
pub mod rng;
pub mod session;
pub mod stats;
pub mod transforms;
pub mod trials;
pub mod uniqueness;
