//! Cross-sectional family: the time-series percentile rank of the one-bar return and
//! the slots a universe fills once a timestamp's members are in (`xs_rank`, `xs_pct`,
//! and with [`CrossSection::Extended`] `xs_demeaned`, `xs_zscore`, `xs_rvol_rank_<w>`,
//! `xs_volume_ratio_rank_<w>`), computed by [`super::FeatureSet::rank_against`].

use crate::error::Error;
use heapless::Vec;

use super::config::{CrossSection, FeatureConfig, MAX_WINDOWS};
use super::history::{History, Writer};
use super::schema::{FeatureId, FeatureKind as K};
use crate::num::Float;
use crate::window::PercentileRank;

/// One member's input to its timestamp's cross-section
/// ([`super::FeatureSet::cross_section_input`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CrossSectionInput<T> {
    /// The one-bar log return of the member's latest bar.
    pub log_return: T,
    /// Its `rvol_<w>` (the extended volatility rank's input), when present.
    pub volatility: Option<T>,
    /// Its `volume_ratio_<w>` (the extended volume rank's input), when present.
    pub volume_ratio: Option<T>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct CrossSectional<const W: usize> {
    ranks: Vec<PercentileRank<W>, MAX_WINDOWS>,
    /// The universe's slots: 2 for ranks, 6 extended.
    slots: u8,
    /// The windows of the ranked volatility and volume ratio (extended).
    ranked: (Option<u16>, Option<u16>),
}

impl<const W: usize> CrossSectional<W> {
    pub fn new(config: &FeatureConfig) -> Result<Self, Error> {
        let extended = config.cross_section == CrossSection::Extended;
        let vol = config
            .volatility_windows
            .iter()
            .copied()
            .find(|&w| w == config.vol_regime_window);
        let volume = config.volume_windows.iter().copied().max();
        let ranked = if extended {
            (vol, volume)
        } else {
            (None, None)
        };
        let slots = 2u8
            .saturating_add(if extended { 2 } else { 0 })
            .saturating_add(u8::from(ranked.0.is_some()))
            .saturating_add(u8::from(ranked.1.is_some()));
        Ok(CrossSectional {
            ranks: crate::fixed::try_fill(
                config.rank_windows.iter().map(|&n| PercentileRank::new(n)),
            )?,
            slots,
            ranked,
        })
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for rank in &self.ranks {
            out(FeatureId::windowed(K::ReturnRank, rank.window()));
        }
        out(FeatureId::plain(K::CrossSectionalRank));
        out(FeatureId::plain(K::CrossSectionalPercentile));
        if self.slots > 2 {
            out(FeatureId::plain(K::CrossSectionalDemeaned));
            out(FeatureId::plain(K::CrossSectionalZscore));
        }
        if let Some(w) = self.ranked.0 {
            out(FeatureId::windowed(K::CrossSectionalVolRank, w));
        }
        if let Some(w) = self.ranked.1 {
            out(FeatureId::windowed(K::CrossSectionalVolumeRank, w));
        }
    }

    /// The features `rvol_<w>` and `volume_ratio_<w>` the extended ranks read.
    pub fn ranked_sources(&self) -> (Option<FeatureId>, Option<FeatureId>) {
        (
            self.ranked
                .0
                .map(|w| FeatureId::windowed(K::RealizedVol, w)),
            self.ranked
                .1
                .map(|w| FeatureId::windowed(K::VolumeRatio, w)),
        )
    }

    pub fn update<T: Float>(&self, h: &History<T, W>, out: &mut Writer<T>) {
        for rank in &self.ranks {
            out.put(if h.has_change() {
                rank.of(&h.log_return)
            } else {
                None
            });
        }
        for _ in 0..self.slots {
            out.put(None);
        }
    }
}
