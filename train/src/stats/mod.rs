//! Statistics for honest research: multiple-testing control, feature importance,
//! ablation by feature group, the Sharpe ratio's uncertainty (PSR, DSR) and the
//! probability of backtest overfitting.

pub mod ablation;
pub mod fdr;
pub mod importance;
pub mod pbo;
pub mod sharpe;
pub mod ttest;
