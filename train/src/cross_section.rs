//! One timestamp of a universe decided together, the same way live and in the
//! backtest: every member's bar begins ([`Pipeline::begin_bar`]), then each member
//! finishes against every member's input, in symbol-name order
//! ([`Pipeline::finish_bar`]), so neither the order of the rows within a timestamp nor
//! the order of the pipelines changes a value, and research's
//! [`prepare_panel`](crate::dataset::prepare_panel) computes the same numbers.

use std::borrow::BorrowMut;

use tickml_core::features::CrossSectionInput;
use tickml_core::pipeline::{Decision, Pipeline, PipelineError};
use tickml_core::{Bar, DefaultFeatureSet};

/// One member's bar at the timestamp: the index of its pipeline, its symbol, the bar.
pub type Member<'m> = (usize, &'m str, Bar<f64>);

/// Decides `members` (one timestamp's bars, at most one per pipeline) with
/// `pipelines[index]`; returns each member's decision in the order given. A bar a
/// pipeline refuses is that member's error, and the others are decided without it.
pub fn decide_cross_section(
    pipelines: &mut [Pipeline<'_, f64>],
    members: &[Member<'_>],
) -> Vec<Result<Decision<f64>, PipelineError>> {
    let missing = || {
        PipelineError::Features(tickml_core::Error::InvalidParameter {
            field: "member pipeline index",
        })
    };
    let begun: Vec<Result<Option<CrossSectionInput<f64>>, PipelineError>> = members
        .iter()
        .map(|(i, _, bar)| {
            pipelines
                .get_mut(*i)
                .ok_or_else(missing)
                .and_then(|p| p.begin_bar(bar))
        })
        .collect();
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[a].1.cmp(members[b].1));
    let inputs: Vec<CrossSectionInput<f64>> = order
        .iter()
        .filter_map(|&k| begun[k].as_ref().ok().copied().flatten())
        .collect();
    members
        .iter()
        .zip(begun)
        .map(|((i, _, _), b)| {
            b?;
            pipelines
                .get_mut(*i)
                .ok_or_else(missing)?
                .finish_bar(&inputs)
        })
        .collect()
}

/// The feature engines' half of [`decide_cross_section`], for research: every member's
/// bar into `sets[index]`, then each member's cross-sectional features set against
/// every member's input in symbol-name order. The first refused bar is the error.
pub fn update_cross_section<S: BorrowMut<DefaultFeatureSet<f64>>>(
    sets: &mut [S],
    members: &[Member<'_>],
) -> Result<(), tickml_core::Error> {
    let missing = tickml_core::Error::InvalidParameter {
        field: "member feature set index",
    };
    for (i, _, bar) in members {
        sets.get_mut(*i).ok_or(missing)?.borrow_mut().update(bar)?;
    }
    let mut order: Vec<&Member<'_>> = members.iter().collect();
    order.sort_by(|a, b| a.1.cmp(b.1));
    let inputs: Vec<CrossSectionInput<f64>> = order
        .iter()
        .filter_map(|(i, _, _)| sets.get(*i).and_then(|s| s.borrow().cross_section_input()))
        .collect();
    for (i, _, _) in members {
        if let Some(set) = sets.get_mut(*i) {
            set.borrow_mut().rank_against(&inputs);
        }
    }
    Ok(())
}
