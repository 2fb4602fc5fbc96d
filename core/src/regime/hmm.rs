use serde::{Deserialize, Serialize};

use super::{RegimeDetector, RegimeState, RegimeType, REGIMES};
use crate::features::Schema;
use crate::model::{BlobKind, FeatureBinding, FeatureNames, ModelBlob, ModelError};
use crate::num::Float;

/// Most hidden states.
pub const MAX_STATES: usize = 4;
/// Most observed features.
pub const MAX_DIM: usize = 8;

/// The postcard payload of a Gaussian-HMM blob (kind 3). Arrays are little-endian f64
/// records, read with `from_le_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HmmPayload<'a> {
    /// Observed feature names, `\n`-separated.
    pub feature_names: &'a str,
    /// Initial state probabilities, K x f64.
    pub start: &'a [u8],
    /// Transition probabilities, K x K f64, row i = from state i.
    pub transition: &'a [u8],
    /// Emission means, K x D f64.
    pub means: &'a [u8],
    /// Emission variances (diagonal covariance), K x D f64.
    pub variances: &'a [u8],
    /// The regime each state stands for, K x u8 ([`RegimeType`] index).
    pub regimes: &'a [u8],
}

fn f64s<const N: usize>(bytes: &[u8], what: &'static str) -> Result<([f64; N], usize), ModelError> {
    if !bytes.len().is_multiple_of(8) || bytes.len() / 8 > N {
        return Err(ModelError::Malformed { what });
    }
    let mut out = [0.0; N];
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        *o = c.try_into().map_or(f64::NAN, f64::from_le_bytes);
        if !o.is_finite() {
            return Err(ModelError::Malformed { what });
        }
    }
    Ok((out, bytes.len() / 8))
}

/// `log(sum(exp(a)))` as hmmlearn computes it: `max + log(sum(exp(a - max)))`, and
/// `-inf` when every term is `-inf`.
fn logsumexp(a: &[f64]) -> f64 {
    let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    let sum: f64 = a.iter().map(|&v| libm::exp(v - max)).sum();
    max + libm::log(sum)
}

/// A Gaussian hidden Markov model with diagonal covariances (K <= 4 states, D <= 8
/// features), decoded from a blob into fixed arrays. All arithmetic is f64 in log space.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GaussianHmm {
    k: usize,
    d: usize,
    log_start: [f64; MAX_STATES],
    log_transition: [[f64; MAX_STATES]; MAX_STATES],
    /// `mean / variance` per state and feature.
    scaled_means: [[f64; MAX_DIM]; MAX_STATES],
    inverse_variances: [[f64; MAX_DIM]; MAX_STATES],
    /// `D ln(2 pi) + sum ln var + sum mean^2 / var` per state.
    constant: [f64; MAX_STATES],
    regimes: [RegimeType; MAX_STATES],
}

impl GaussianHmm {
    /// Decodes and validates an HMM blob; returns the model and its feature names.
    pub fn from_blob(bytes: &[u8]) -> Result<(Self, FeatureNames<'_>), ModelError> {
        let blob = ModelBlob::parse(bytes)?;
        let payload = blob.payload_of(BlobKind::GaussianHmm)?;
        let p: HmmPayload = postcard::from_bytes(payload).map_err(|_| ModelError::Malformed {
            what: "HMM payload does not decode",
        })?;
        let (start, k) = f64s::<MAX_STATES>(p.start, "HMM start probabilities")?;
        let (transition, kk) =
            f64s::<{ MAX_STATES * MAX_STATES }>(p.transition, "HMM transitions")?;
        let (means, kd) = f64s::<{ MAX_STATES * MAX_DIM }>(p.means, "HMM means")?;
        let (variances, kd2) = f64s::<{ MAX_STATES * MAX_DIM }>(p.variances, "HMM variances")?;
        let d = blob.header().feature_count as usize;
        let names = FeatureNames::new(p.feature_names);
        if k == 0
            || Some(kk) != k.checked_mul(k)
            || d == 0
            || d > MAX_DIM
            || Some(kd) != k.checked_mul(d)
            || Some(kd2) != k.checked_mul(d)
            || p.regimes.len() != k
            || names.clone().count() != d
        {
            return Err(ModelError::Malformed {
                what: "HMM array sizes disagree (K <= 4 states, 1 <= D <= 8 features)",
            });
        }
        let probability_row = |row: &[f64]| {
            row.iter().all(|&v| v >= 0.0) && (row.iter().sum::<f64>() - 1.0).abs() <= 1e-9
        };
        if !probability_row(start.get(..k).unwrap_or(&[]))
            || !transition.chunks_exact(k).take(k).all(probability_row)
        {
            return Err(ModelError::Malformed {
                what: "HMM start or transition row is not a probability distribution",
            });
        }
        if variances
            .get(..k.saturating_mul(d))
            .unwrap_or(&[])
            .iter()
            .any(|&v| v <= 0.0)
        {
            return Err(ModelError::Malformed {
                what: "HMM variance is not positive",
            });
        }
        let mut hmm = GaussianHmm {
            k,
            d,
            log_start: [f64::NEG_INFINITY; MAX_STATES],
            log_transition: [[f64::NEG_INFINITY; MAX_STATES]; MAX_STATES],
            scaled_means: [[0.0; MAX_DIM]; MAX_STATES],
            inverse_variances: [[0.0; MAX_DIM]; MAX_STATES],
            constant: [0.0; MAX_STATES],
            regimes: [RegimeType::Ranging; MAX_STATES],
        };
        for i in 0..k {
            let regime = p
                .regimes
                .get(i)
                .and_then(|&r| RegimeType::from_index(usize::from(r)))
                .ok_or(ModelError::Malformed {
                    what: "HMM state maps to an unknown regime",
                })?;
            if let Some(slot) = hmm.regimes.get_mut(i) {
                *slot = regime;
            }
            if let (Some(ls), Some(&s)) = (hmm.log_start.get_mut(i), start.get(i)) {
                *ls = libm::log(s);
            }
            let (mut log_det, mut mean_term) = (0.0, 0.0);
            for j in 0..k {
                if let (Some(row), Some(&a)) = (
                    hmm.log_transition.get_mut(i),
                    transition.get(i.saturating_mul(k).saturating_add(j)),
                ) {
                    if let Some(slot) = row.get_mut(j) {
                        *slot = libm::log(a);
                    }
                }
            }
            for f in 0..d {
                let (m, v) = (
                    means
                        .get(i.saturating_mul(d).saturating_add(f))
                        .copied()
                        .unwrap_or(0.0),
                    variances
                        .get(i.saturating_mul(d).saturating_add(f))
                        .copied()
                        .unwrap_or(1.0),
                );
                if let Some(slot) = hmm.scaled_means.get_mut(i).and_then(|r| r.get_mut(f)) {
                    *slot = m / v;
                }
                if let Some(slot) = hmm.inverse_variances.get_mut(i).and_then(|r| r.get_mut(f)) {
                    *slot = 1.0 / v;
                }
                log_det += libm::log(v);
                mean_term += m * m / v;
            }
            if let Some(slot) = hmm.constant.get_mut(i) {
                *slot = d as f64 * libm::log(2.0 * core::f64::consts::PI) + log_det + mean_term;
            }
        }
        Ok((hmm, names))
    }

    /// Number of hidden states.
    pub fn states(&self) -> usize {
        self.k
    }

    /// Number of observed features.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// The regime of state `i`.
    pub fn regime_of(&self, i: usize) -> Option<RegimeType> {
        self.regimes.get(i).filter(|_| i < self.k).copied()
    }

    /// `log N(x | mean_j, diag(var_j))` in hmmlearn's expanded form
    /// `-0.5 (D ln 2pi + sum ln var + sum mean^2/var - 2 x.(mean/var) + x^2.(1/var))`,
    /// term for term, so the filter reproduces its forward pass to rounding.
    fn log_emission(&self, j: usize, x: &[f64]) -> f64 {
        let (Some(sm), Some(iv), Some(&constant)) = (
            self.scaled_means.get(j),
            self.inverse_variances.get(j),
            self.constant.get(j),
        ) else {
            return f64::NEG_INFINITY;
        };
        let (mut cross, mut square) = (0.0, 0.0);
        for ((&xv, &smv), &ivv) in x.iter().zip(sm.iter()).zip(iv.iter()).take(self.d) {
            cross += xv * smv;
            square += xv * xv * ivv;
        }
        -0.5 * (constant - 2.0 * cross + square)
    }

    /// One step of the forward recursion on the normalised log filter `log_alpha`
    /// (`None` before the first observation). With `x = None` (a missing observation)
    /// only the transition is applied. Returns the log normaliser (the observation's
    /// log-likelihood increment).
    pub fn forward_step(
        &self,
        log_alpha: &mut Option<[f64; MAX_STATES]>,
        x: Option<&[f64]>,
    ) -> f64 {
        let k = self.k;
        let mut next = [f64::NEG_INFINITY; MAX_STATES];
        for (j, slot) in next.iter_mut().enumerate().take(k) {
            let prior = match log_alpha {
                None => self.log_start.get(j).copied().unwrap_or(f64::NEG_INFINITY),
                Some(prev) => {
                    let mut buf = [f64::NEG_INFINITY; MAX_STATES];
                    for (i, b) in buf.iter_mut().enumerate().take(k) {
                        let a = self
                            .log_transition
                            .get(i)
                            .and_then(|r| r.get(j))
                            .copied()
                            .unwrap_or(f64::NEG_INFINITY);
                        *b = prev.get(i).copied().unwrap_or(f64::NEG_INFINITY) + a;
                    }
                    logsumexp(buf.get(..k).unwrap_or(&[]))
                }
            };
            *slot = prior + x.map_or(0.0, |x| self.log_emission(j, x));
        }
        let c = logsumexp(next.get(..k).unwrap_or(&[]));
        if c.is_finite() {
            for v in next.iter_mut().take(k) {
                *v -= c;
            }
            *log_alpha = Some(next);
        }
        c
    }
}

/// The HMM as a regime detector: the forward filter over the bound features, state
/// posteriors summed per regime; the regime is the most probable one and the confidence
/// its probability. A bar with any observed feature absent only advances the chain.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HmmDetector<T> {
    hmm: GaussianHmm,
    index: [u16; MAX_DIM],
    log_alpha: Option<[f64; MAX_STATES]>,
    log_likelihood: f64,
    state: RegimeState<T>,
}

impl<T: Float> HmmDetector<T> {
    /// Decodes the HMM blob and binds its features in `schema` by name.
    pub fn new<const F: usize>(blob: &[u8], schema: &Schema<F>) -> Result<Self, ModelError> {
        let (hmm, names) = GaussianHmm::from_blob(blob)?;
        let binding: FeatureBinding<MAX_DIM> = FeatureBinding::bind(names, schema)?;
        let mut index = [0u16; MAX_DIM];
        for (slot, &i) in index.iter_mut().zip(binding.indices()) {
            *slot = i;
        }
        Ok(HmmDetector {
            hmm,
            index,
            log_alpha: None,
            log_likelihood: 0.0,
            state: RegimeState::certain(RegimeType::Ranging),
        })
    }

    /// The model.
    pub fn hmm(&self) -> &GaussianHmm {
        &self.hmm
    }

    /// Filtered state probabilities `P(state_t | x_1..t)`, if any bar was seen.
    pub fn posterior(&self) -> Option<[f64; MAX_STATES]> {
        self.log_alpha.map(|la| la.map(libm::exp))
    }

    /// Log-likelihood of the observations so far.
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }
}

impl<T: Float> RegimeDetector<T> for HmmDetector<T> {
    fn update(&mut self, features: &[T]) -> RegimeState<T> {
        let d = self.hmm.d;
        let mut x = [0.0f64; MAX_DIM];
        let mut complete = true;
        for (v, &i) in x.iter_mut().zip(self.index.iter()).take(d) {
            *v = features
                .get(usize::from(i))
                .map_or(f64::NAN, |f| f.to_f64());
            complete &= !v.is_nan();
        }
        let observation = if complete { x.get(..d) } else { None };
        let c = self.hmm.forward_step(&mut self.log_alpha, observation);
        if observation.is_some() && c.is_finite() {
            self.log_likelihood += c;
        }
        if let Some(posterior) = self.posterior() {
            let mut probabilities = [T::ZERO; REGIMES];
            for (i, p) in posterior.iter().enumerate().take(self.hmm.k) {
                if let Some(r) = self.hmm.regime_of(i) {
                    if let Some(slot) = probabilities.get_mut(r.index()) {
                        *slot += T::from_f64(*p);
                    }
                }
            }
            let mut best = RegimeType::Ranging;
            let mut confidence = T::ZERO;
            for r in RegimeType::ALL {
                let p = probabilities.get(r.index()).copied().unwrap_or(T::ZERO);
                if p > confidence {
                    best = r;
                    confidence = p;
                }
            }
            self.state = RegimeState {
                regime: best,
                confidence: confidence.min(T::ONE),
                probabilities,
            };
        }
        self.state
    }

    fn state(&self) -> RegimeState<T> {
        self.state
    }
}
