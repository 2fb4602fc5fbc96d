//! Statistics for honest research: multiple-testing control, feature importance and
//! ablation by feature group.

pub mod ablation;
pub mod fdr;
pub mod importance;
pub mod ttest;
