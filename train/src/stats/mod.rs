//! Statistics for honest research: multiple-testing control.

pub mod fdr;
