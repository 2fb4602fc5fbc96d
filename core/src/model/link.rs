use serde::{Deserialize, Serialize};

use crate::num::Float;

/// How raw scores (margins) become predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Link {
    /// The margin itself (regression).
    Identity,
    /// `1 / (1 + exp(-scale * m))` (binary classification).
    Sigmoid,
    /// `exp(m_k) / sum_j exp(m_j)` over the outputs (multiclass).
    Softmax,
    /// `exp(m)` (Poisson, gamma, Tweedie).
    Exp,
}

impl Link {
    /// Applies the link in place to the margins `m`.
    pub fn apply<T: Float>(self, scale: T, m: &mut [T]) {
        match self {
            Link::Identity => {}
            Link::Sigmoid => {
                for v in m.iter_mut() {
                    *v = T::ONE / (T::ONE + (-scale * *v).exp());
                }
            }
            Link::Exp => {
                for v in m.iter_mut() {
                    *v = v.exp();
                }
            }
            Link::Softmax => {
                let max = m.iter().copied().fold(T::NAN, T::max);
                let mut total = T::ZERO;
                for v in m.iter_mut() {
                    *v = (*v - max).exp();
                    total += *v;
                }
                for v in m.iter_mut() {
                    *v /= total;
                }
            }
        }
    }
}
