//! The streaming feature engine: eight families over shared ring buffers, O(1) per
//! bar (amortised for rolling extremes; ranks cost a binary search and a short shift).
//!
//! A feature is absent while its inputs do not suffice; in the dense output it is
//! NaN, and [`FeatureVector::get`] returns `None`.

mod config;
mod cross_sectional;
mod history;
mod mean_reversion;
mod momentum;
mod regime;
mod schema;
mod seasonality;
mod set;
mod trend;
mod universe;
mod volatility;
mod volume;

pub use config::{CrossSection, FeatureConfig, Windows, MAX_WINDOWS};
pub use cross_sectional::CrossSectionInput;
pub use schema::fnv1a;
pub use schema::{Family, FeatureId, FeatureKind, FeatureName, Schema, FEATURE_FORMAT_VERSION};
pub use set::{DefaultFeatureSet, FeatureSet, FeatureVector};
pub use universe::Universe;
