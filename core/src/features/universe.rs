//! [`Universe`]: feature engines for up to `N` symbols updated per timestamp, with the
//! cross-sectional rank of each symbol's return.

use heapless::Vec;

use super::config::FeatureConfig;
use super::cross_sectional::CrossSectionInput;
use super::set::{FeatureSet, FeatureVector};
use crate::bar::Bar;
use crate::error::Error;
use crate::num::Float;

/// Up to `N` symbols (keyed by a caller-chosen `u32`), each with its own
/// [`FeatureSet`]. After each cross-section, every member's cross-sectional features
/// are set against the members of that cross-section that have a return, summed in key
/// order ([`FeatureSet::rank_against`]). Ranking is O(m^2) in the cross-section's size m.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Universe<T, const N: usize, const W: usize = 256, const F: usize = 128> {
    config: FeatureConfig,
    symbols: Vec<(u32, FeatureSet<T, W, F>), N>,
}

impl<T: Float, const N: usize, const W: usize, const F: usize> Universe<T, N, W, F> {
    /// An empty universe; `config` is validated as for [`FeatureSet::new`].
    pub fn new(config: FeatureConfig) -> Result<Self, Error> {
        FeatureSet::<T, W, F>::new(config.clone())?;
        Ok(Universe {
            config,
            symbols: Vec::new(),
        })
    }

    fn position(&self, symbol: u32) -> Option<usize> {
        self.symbols.iter().position(|(s, _)| *s == symbol)
    }

    /// The engine of `symbol`, once it has had a bar.
    pub fn get(&self, symbol: u32) -> Option<&FeatureSet<T, W, F>> {
        self.position(symbol)
            .and_then(|i| self.symbols.get(i))
            .map(|(_, set)| set)
    }

    /// The latest features of `symbol`.
    pub fn features(&self, symbol: u32) -> Option<&FeatureVector<T, F>> {
        self.get(symbol).map(|set| set.features())
    }

    /// Number of symbols seen.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// True before the first bar.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// Takes the bars of one timestamp, at most one per symbol. Everything is checked
    /// first (one timestamp, duplicates, order per symbol, capacity): on an error nothing
    /// changed. A batch mixing timestamps would rank a later return against earlier ones.
    pub fn update(&mut self, bars: &[(u32, Bar<T>)]) -> Result<(), Error> {
        if let Some((_, first)) = bars.first() {
            if let Some((_, other)) = bars
                .iter()
                .find(|(_, b)| b.timestamp() != first.timestamp())
            {
                return Err(Error::MixedTimestamps {
                    first: first.timestamp(),
                    other: other.timestamp(),
                });
            }
        }
        let mut new_symbols = 0usize;
        for (i, (symbol, bar)) in bars.iter().enumerate() {
            if bars.iter().take(i).any(|(s, _)| s == symbol) {
                return Err(Error::DuplicateSymbol);
            }
            match self.get(*symbol) {
                Some(set) => set.check(bar)?,
                None => new_symbols = new_symbols.saturating_add(1),
            }
        }
        if self.symbols.len().saturating_add(new_symbols) > N {
            return Err(Error::UniverseFull { capacity: N });
        }
        for (symbol, bar) in bars {
            let index = match self.position(*symbol) {
                Some(i) => i,
                None => {
                    let set = FeatureSet::new(self.config.clone())?;
                    let _ = self.symbols.push((*symbol, set));
                    self.symbols.len().saturating_sub(1)
                }
            };
            if let Some((_, set)) = self.symbols.get_mut(index) {
                set.update(bar)?;
            }
        }
        self.rank(bars);
        Ok(())
    }

    fn rank(&mut self, bars: &[(u32, Bar<T>)]) {
        // the members of this timestamp in key order: the same sums for every member
        let mut present: Vec<(u32, usize), N> = Vec::new();
        for (symbol, _) in bars {
            if let Some(i) = self.position(*symbol) {
                let _ = present.push((*symbol, i));
            }
        }
        present.sort_unstable();
        let inputs: Vec<CrossSectionInput<T>, N> = crate::fixed::fill(
            present
                .iter()
                .filter_map(|&(_, i)| self.symbols.get(i))
                .filter_map(|(_, set)| set.cross_section_input()),
        );
        for &(_, i) in &present {
            if let Some((_, set)) = self.symbols.get_mut(i) {
                set.rank_against(&inputs);
            }
        }
    }
}
