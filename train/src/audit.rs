//! Lookahead audit: cut the history at random points, perturb every bar after the cut,
//! recompute, and name every feature (or prediction) at or before the cut that changed.
//! A causal pipeline changes nothing there; a leak shows up by name.

use tickml_core::Bar;

use crate::dataset::FeatureMatrix;

/// What the audit found.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct AuditReport {
    /// The cut points tried (bar indices).
    pub cuts: Vec<usize>,
    /// Features whose value at or before a cut changed, with the first such bar.
    pub leaking_features: Vec<(String, usize)>,
    /// The first bar at or before a cut whose prediction changed, if any.
    pub leaking_prediction: Option<usize>,
}

impl AuditReport {
    /// True when nothing leaked.
    pub fn is_clean(&self) -> bool {
        self.leaking_features.is_empty() && self.leaking_prediction.is_none()
    }
}

/// Bars after `cut` replaced by a different but valid path: each later bar's prices are
/// scaled by a seeded random factor, volumes by another.
pub fn perturb_after(bars: &[Bar<f64>], cut: usize, seed: u64) -> Vec<Bar<f64>> {
    let mut rng = crate::rng::XorShift64::new(seed);
    bars.iter()
        .enumerate()
        .map(|(i, b)| {
            if i <= cut {
                return *b;
            }
            let (f, v) = (0.7 + 0.6 * rng.uniform(), 0.5 + rng.uniform());
            Bar::new(
                b.timestamp(),
                b.open() * f,
                b.high() * f,
                b.low() * f,
                b.close() * f,
                b.volume() * v,
            )
            .unwrap_or(*b)
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// A whole-history feature pipeline.
pub type FeaturePipeline<'a> = &'a dyn Fn(&[Bar<f64>]) -> FeatureMatrix;
/// A model over one feature row.
pub type RowPredictor<'a> = &'a dyn Fn(&[f64]) -> f64;

/// Audits `features` (a whole-history feature pipeline) and, optionally, `predict`
/// (a model over one feature row) at `cuts` random points chosen with `seed`.
pub fn audit_lookahead(
    bars: &[Bar<f64>],
    features: FeaturePipeline,
    predict: Option<RowPredictor>,
    cuts: usize,
    seed: u64,
) -> AuditReport {
    let base = features(bars);
    let mut report = AuditReport::default();
    let mut rng = crate::rng::XorShift64::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let n = bars.len();
    for k in 0..cuts {
        // cuts in the middle 80% of the history
        let cut = (n / 10) + rng.below((n - n / 5).max(1) as u64) as usize;
        report.cuts.push(cut);
        let other = features(&perturb_after(bars, cut, seed.wrapping_add(k as u64)));
        for (c, name) in base.names.iter().enumerate() {
            if report.leaking_features.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some(t) =
                (0..=cut.min(base.rows - 1)).find(|&t| !same(base.row(t)[c], other.row(t)[c]))
            {
                report.leaking_features.push((name.clone(), t));
            }
        }
        if let (Some(predict), None) = (predict, report.leaking_prediction) {
            report.leaking_prediction = (0..=cut.min(base.rows - 1))
                .find(|&t| !same(predict(base.row(t)), predict(other.row(t))));
        }
    }
    report
}
