//! The arbitrator replayed over out-of-fold predictions, bar by bar, as the live
//! pipeline would have run it: the same prediction-to-signal mapping, the same market
//! returns, the same silencing. The ensemble's out-of-sample decisions and the
//! meta-learner's training inputs both come from here.

use tickml_core::arbitrator::{
    ArbitrationResult, MarketContext, Signal, StrategyArbitrator, StrategySignal,
};
use tickml_core::pipeline::{market_return, MAX_MODELS};

use crate::dataset::Dataset;
use crate::pipeline::PipelineError;

/// The arbitrator of a bundle: up to [`MAX_MODELS`] strategies, 128 bars of history.
pub type Arbitrator = StrategyArbitrator<f64, MAX_MODELS, 128>;

/// One bar's predictions (strategy ids 1, 2, ... in order) as strategy signals, each
/// by [`Signal::from_prediction`].
pub fn signals(
    timestamp: i64,
    predictions: &[f64],
    probability: bool,
    market: &MarketContext<f64>,
) -> Vec<StrategySignal<f64>> {
    predictions
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let (signal, confidence) = Signal::from_prediction(probability, p);
            StrategySignal {
                strategy_id: i as u32 + 1,
                timestamp,
                signal,
                confidence,
                expected_return: 0.0,
                volatility: 0.0,
                regime: Some(market.regime.regime),
            }
        })
        .collect()
}

/// Replays the samples of `data` (one series) in time order through `arbitrator`: each
/// sample that every strategy predicted (`predictions(k)`), with its market context
/// (`market(bar index)`, called for every sample in order, so it can advance causal
/// state) and the market return since the previous replayed sample's close. Returns
/// (sample, decision) pairs.
pub fn replay<const S: usize>(
    arbitrator: &mut StrategyArbitrator<f64, S, 128>,
    data: &Dataset,
    probability: bool,
    predictions: impl Fn(usize) -> Option<Vec<f64>>,
    mut market: impl FnMut(usize) -> Result<MarketContext<f64>, PipelineError>,
) -> Result<Vec<(usize, ArbitrationResult<f64, S>)>, PipelineError> {
    let mut decisions = Vec::new();
    let mut previous: Option<usize> = None;
    for k in 0..data.len() {
        let t = data.labels.t0[k];
        let context = market(t)?;
        let Some(p) = predictions(k) else {
            continue;
        };
        let r = match previous {
            Some(prev) => market_return(data.close[prev], data.close[k]),
            None => 0.0,
        };
        let s = signals(data.timestamps[k], &p, probability, &context);
        let decision = arbitrator
            .process_signals(&s, &context, r)
            .map_err(|e| PipelineError::Config(e.to_string()))?;
        decisions.push((k, decision));
        previous = Some(k);
    }
    Ok(decisions)
}
