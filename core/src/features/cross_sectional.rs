//! Cross-sectional family: the time-series percentile rank of the one-bar return and
//! two slots (`xs_rank`, `xs_pct`) that a [`super::Universe`] fills.

use crate::error::Error;
use heapless::Vec;

use super::config::{FeatureConfig, MAX_WINDOWS};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::num::Float;
use crate::window::SortedWindow;

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct CrossSectional<T, const W: usize> {
    ranks: Vec<(u16, SortedWindow<T, W>), MAX_WINDOWS>,
}

impl<T: Float, const W: usize> CrossSectional<T, W> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        Ok(CrossSectional {
            ranks: crate::fixed::try_fill(
                config
                    .rank_windows
                    .iter()
                    .map(|&n| Ok((n, SortedWindow::new(n)?))),
            )?,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for (n, _) in &self.ranks {
            out(FeatureId::windowed(K::ReturnRank, *n));
        }
        out(FeatureId::plain(K::CrossSectionalRank));
        out(FeatureId::plain(K::CrossSectionalPercentile));
    }

    pub fn update(&mut self, h: &History<T, W>, out: &mut Writer<T>) {
        for (_, rank) in self.ranks.iter_mut() {
            out.put(if h.has_change() {
                rank.push(&h.log_return)
            } else {
                None
            });
        }
        out.put(None);
        out.put(None);
    }
}
