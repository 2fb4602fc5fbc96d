//! # tickml-core
//!
//! The part of tickml that runs inside a tick handler: `no_std`, no heap, no panics.
//! Bars go in one at a time; every feature is updated in O(1) from fixed-capacity
//! ring buffers, so the same code serves offline research and a live feed.
//!
//! Layers, each importing only those above it in this list:
//! [`num`], [`error`], [`bar`], [`calendar`], `fixed` → [`bars`] (trades into bars) → [`window`] → [`indicators`] → [`features`]
//! → [`model`], [`regime`] → [`arbitrator`] → [`pipeline`].
//!
//! ```
//! use tickml_core::{Bar, DefaultFeatureSet, FeatureConfig};
//!
//! let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
//! let bar = Bar::new(1_700_000_000_000_000_000, 100.0, 101.0, 99.5, 100.5, 12_000.0).unwrap();
//! let sma_5 = set.schema().index_of("sma_5").unwrap();
//! let features = set.update(&bar).unwrap();
//! assert_eq!(features.get(sma_5), None); // warming up
//! ```
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(any(feature = "std", test))]
extern crate std;

pub mod arbitrator;
pub mod bar;
pub mod bars;
pub mod calendar;
pub mod error;
pub mod features;
mod fixed;
pub mod indicators;
pub mod model;
pub mod num;
pub mod pipeline;
pub mod regime;
pub mod window;

pub use bar::Bar;
pub use error::Error;
pub use features::{DefaultFeatureSet, FeatureConfig, FeatureSet, FeatureVector, Universe};
pub use num::Float;
