//! Cross-validation for overlapping labels: purged K-fold, walk-forward and
//! combinatorial purged CV. Samples are indexed 0..n in time order; a sample's label
//! spans bars `[t0, t1]` (closed).
//!
//! Purging drops a training sample whose label interval overlaps a test window
//! `[first test t0, max test t1]` (closed comparisons, López de Prado, AFML snippet 7.1;
//! the window ends at the *latest* test label end, not the first one's). The embargo
//! then drops training samples that start within `embargo` bars after a test window.
//! Purge gaps and embargoes of K-fold and CPCV are counted in bars of the series (label
//! positions), never in samples; walk-forward's gap is in samples, as skfolio's.

/// One train/test split, indices sorted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Split {
    /// Training sample indices.
    pub train: Vec<usize>,
    /// Test sample indices.
    pub test: Vec<usize>,
}

/// What is wrong with a CV configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvError {
    /// Fewer samples than the scheme needs.
    #[error("{0}")]
    Invalid(String),
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, CvError> {
    Err(CvError::Invalid(msg.into()))
}

/// Label intervals: sample i spans bars `[t0[i], t1[i]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Start bar of each label.
    pub t0: Vec<usize>,
    /// End bar of each label (`>= t0`).
    pub t1: Vec<usize>,
}

impl Labels {
    /// Labels of `n` samples, sample i spanning bars `[i, i + horizon]`.
    pub fn with_horizon(n: usize, horizon: usize) -> Self {
        Labels {
            t0: (0..n).collect(),
            t1: (0..n).map(|i| i + horizon).collect(),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.t0.len()
    }

    /// True for no samples.
    pub fn is_empty(&self) -> bool {
        self.t0.is_empty()
    }
}

/// The training samples of `candidates` that survive purging and embargo against the
/// test blocks `blocks` (each a contiguous run of test indices).
fn purge(
    labels: &Labels,
    candidates: impl Iterator<Item = usize>,
    blocks: &[std::ops::Range<usize>],
    purge_gap: usize,
    embargo: usize,
) -> Vec<usize> {
    let windows: Vec<(usize, usize)> = blocks
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| {
            let start = labels.t0[b.start];
            let end = b.clone().map(|i| labels.t1[i]).max().unwrap_or(start);
            (start, end)
        })
        .collect();
    candidates
        .filter(|&j| {
            windows.iter().all(|&(start, end)| {
                let overlaps = labels.t0[j] <= end && labels.t1[j] + purge_gap >= start;
                let embargoed = labels.t0[j] > end && labels.t0[j] <= end + embargo;
                !overlaps && !embargoed
            })
        })
        .collect()
}

/// The splits whose test sets are pairwise disjoint, chosen greedily in order: all of
/// K-fold's; under walk-forward with `step_size < test_size`, every split whose test
/// window does not overlap an earlier chosen one; under CPCV, splits that share no test
/// fold. Tests over splits assume each test sample is scored once.
pub fn disjoint_tests(splits: &[Split]) -> Vec<&Split> {
    let mut seen = std::collections::HashSet::new();
    splits
        .iter()
        .filter(|s| {
            if s.test.iter().any(|i| seen.contains(i)) {
                return false;
            }
            seen.extend(s.test.iter().copied());
            true
        })
        .collect()
}

/// Purged K-fold: `n_splits` contiguous test folds (sizes as numpy's `array_split`);
/// training samples are purged against the fold's window (extended `purge_gap` bars
/// earlier) and embargoed for `embargo_bars(labels, embargo_pct)` bars after it.
/// Defaults (the design's): 5 folds, `purge_gap` 5, `embargo_pct` 0.02.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PurgedKFold {
    /// Number of folds.
    pub n_splits: usize,
    /// Extra bars purged before each test window.
    pub purge_gap: usize,
    /// Embargo after each test window, as a fraction of the bars the samples span.
    pub embargo_pct: f64,
}

impl Default for PurgedKFold {
    fn default() -> Self {
        PurgedKFold {
            n_splits: 5,
            purge_gap: 5,
            embargo_pct: 0.02,
        }
    }
}

/// The embargo in bars of the series: `floor(pct x span)`, where `span` is the number
/// of bars from the first sample's bar to the last label's end (`max t1 - min t0 + 1`).
/// Counting bars rather than samples keeps the embargo a stretch of time when rows were
/// dropped (warm-up, gaps), since purging and embargo compare bar positions.
pub fn embargo_bars(labels: &Labels, pct: f64) -> usize {
    let first = labels.t0.iter().copied().min().unwrap_or(0);
    let last = labels.t1.iter().copied().max().unwrap_or(first);
    ((last + 1 - first.min(last + 1)) as f64 * pct).floor() as usize
}

fn fold_bounds(n: usize, k: usize) -> Vec<std::ops::Range<usize>> {
    let (base, extra) = (n / k, n % k);
    let mut start = 0;
    (0..k)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

impl PurgedKFold {
    /// The splits.
    pub fn split(&self, labels: &Labels) -> Result<Vec<Split>, CvError> {
        let n = labels.len();
        if self.n_splits < 2 || self.n_splits > n {
            return invalid(format!(
                "purged k-fold needs 2 <= n_splits <= samples ({n})"
            ));
        }
        if !(0.0..1.0).contains(&self.embargo_pct) {
            return invalid("embargo_pct must be in [0, 1)");
        }
        let embargo = embargo_bars(labels, self.embargo_pct);
        Ok(fold_bounds(n, self.n_splits)
            .into_iter()
            .map(|fold| {
                let train = purge(
                    labels,
                    (0..n).filter(|i| !fold.contains(i)),
                    std::slice::from_ref(&fold),
                    self.purge_gap,
                    embargo,
                );
                Split {
                    train,
                    test: fold.collect(),
                }
            })
            .collect())
    }
}

/// Walk-forward, as skfolio's `WalkForward(test_size, train_size, purged_size,
/// expand_train)` when `step_size == test_size`: the training window is `train_size`
/// samples (every sample from 0 with `expand_train`), then `purge_gap` samples are left
/// out, then `test_size` test samples; the windows move by `step_size`. A training
/// sample whose label still reaches into the test window (a gap shorter than the label
/// horizon) is purged as well. Nothing trains after its test window, so there is no
/// embargo. Defaults 504 / 63 / 21 / 5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkForwardCV {
    /// Training samples per split.
    pub train_size: usize,
    /// Test samples per split.
    pub test_size: usize,
    /// Samples the window moves each split.
    pub step_size: usize,
    /// Samples left out between the training and the test window.
    pub purge_gap: usize,
    /// Train on every sample before the gap instead of the last `train_size`.
    pub expand_train: bool,
}

impl Default for WalkForwardCV {
    fn default() -> Self {
        WalkForwardCV {
            train_size: 504,
            test_size: 63,
            step_size: 21,
            purge_gap: 5,
            expand_train: false,
        }
    }
}

impl WalkForwardCV {
    /// The splits.
    pub fn split(&self, labels: &Labels) -> Result<Vec<Split>, CvError> {
        self.windows(labels, false)
    }

    /// The splits, then one more whose test window holds the samples left after the last
    /// full one (fewer than `test_size`), so every sample after the first training window
    /// is tested: the schedule of a walk-forward backtest that runs to the last bar.
    pub fn split_through_end(&self, labels: &Labels) -> Result<Vec<Split>, CvError> {
        self.windows(labels, true)
    }

    fn windows(&self, labels: &Labels, through_end: bool) -> Result<Vec<Split>, CvError> {
        let n = labels.len();
        if self.train_size == 0 || self.test_size == 0 || self.step_size == 0 {
            return invalid("walk-forward sizes must be positive");
        }
        if self.train_size + self.purge_gap + self.test_size > n {
            return invalid(format!(
                "walk-forward needs train_size + purge_gap + test_size <= samples ({n})"
            ));
        }
        let mut splits = Vec::new();
        let mut start = 0;
        while start + self.train_size + self.purge_gap + self.test_size <= n {
            let train_end = start + self.train_size;
            let test_start = train_end + self.purge_gap;
            let test = test_start..test_start + self.test_size;
            let first = if self.expand_train { 0 } else { start };
            let train = purge(labels, first..train_end, std::slice::from_ref(&test), 0, 0);
            splits.push(Split {
                train,
                test: test.collect(),
            });
            start += self.step_size;
        }
        let tested_to = splits
            .last()
            .and_then(|s| s.test.last())
            .map_or(0, |&t| t + 1);
        if through_end && tested_to < n {
            let train_end = start + self.train_size;
            let test = (train_end + self.purge_gap).max(tested_to)..n;
            let first = if self.expand_train { 0 } else { start };
            if !test.is_empty() {
                splits.push(Split {
                    train: purge(labels, first..train_end, std::slice::from_ref(&test), 0, 0),
                    test: test.collect(),
                });
            }
        }
        Ok(splits)
    }
}

/// Grouped K-fold by symbol ("does it generalise to names it never saw"): the symbols
/// (group ids, sorted) are dealt to `n_splits` folds in turn; a split tests every
/// sample of its fold's symbols and trains on every sample of the others, at every time.
/// Nothing is purged: the test set spans the whole history, so these splits measure
/// generalisation across names, not through time (the other symbols' rows of the same
/// days train; use the time-purged schemes for that).
pub fn group_kfold(groups: &[u32], n_splits: usize) -> Result<Vec<Split>, CvError> {
    let mut ids: Vec<u32> = groups.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if n_splits < 2 || n_splits > ids.len() {
        return invalid(format!(
            "grouped K-fold needs 2 <= n_splits <= symbols ({})",
            ids.len()
        ));
    }
    Ok((0..n_splits)
        .map(|f| {
            let tested = |g: u32| ids.iter().position(|&i| i == g).unwrap_or(0) % n_splits == f;
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..groups.len()).partition(|&i| tested(groups[i]));
            Split { train, test }
        })
        .collect())
}

/// Combinatorial purged CV: `n_splits` (N) folds, every choice of `n_test_splits` (k)
/// test folds in lexicographic order, `C(N, k)` splits and `k C(N, k) / N` backtest
/// paths. Fold size is `n / N` with the remainder in the last fold (as skfolio).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombinatorialPurgedCV {
    /// Folds N.
    pub n_splits: usize,
    /// Test folds per split k.
    pub n_test_splits: usize,
    /// Bars purged around each test block.
    pub purge: usize,
    /// Bars embargoed after each test block.
    pub embargo: usize,
}

/// CPCV splits and the backtest paths they recombine into.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CombinatorialSplits {
    /// The splits, in lexicographic order of their test folds.
    pub splits: Vec<Split>,
    /// `paths[p][f]`: the split whose test fold f belongs to path p.
    pub paths: Vec<Vec<usize>>,
    /// The samples of each fold.
    pub folds: Vec<std::ops::Range<usize>>,
}

/// Every `k`-subset of `0..n` (`k >= 1`) in lexicographic (`itertools.combinations`)
/// order.
pub fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut c: Vec<usize> = (0..k).collect();
    if k == 0 || k > n {
        return out;
    }
    loop {
        out.push(c.clone());
        let Some(i) = (0..k).rev().find(|&i| c[i] != i + n - k) else {
            break;
        };
        c[i] += 1;
        for j in i + 1..k {
            c[j] = c[j - 1] + 1;
        }
    }
    out
}

impl CombinatorialPurgedCV {
    fn folds(&self, n: usize) -> Result<Vec<std::ops::Range<usize>>, CvError> {
        let (big_n, k) = (self.n_splits, self.n_test_splits);
        if big_n < 2 || k == 0 || k >= big_n {
            return invalid("combinatorial CV needs 1 <= n_test_splits < n_splits, n_splits >= 2");
        }
        let size = n / big_n;
        if size == 0 || self.purge + self.embargo + 1 >= size {
            return invalid(format!(
                "purge + embargo must be smaller than a fold ({size} samples) minus 1"
            ));
        }
        Ok((0..big_n)
            .map(|f| f * size..if f + 1 == big_n { n } else { (f + 1) * size })
            .collect())
    }

    fn paths(&self, tests: &[Vec<usize>]) -> Vec<Vec<usize>> {
        // for each fold, the splits testing it, in split order; path p takes the p-th
        let per_fold: Vec<Vec<usize>> = (0..self.n_splits)
            .map(|f| {
                (0..tests.len())
                    .filter(|&s| tests[s].contains(&f))
                    .collect()
            })
            .collect();
        let n_paths = per_fold.first().map_or(0, Vec::len);
        (0..n_paths)
            .map(|p| per_fold.iter().map(|splits| splits[p]).collect())
            .collect()
    }

    /// Index mode: purge and embargo counted in samples around each test block; equal
    /// to skfolio's `CombinatorialPurgedCV(n_folds, n_test_folds, purged_size,
    /// embargo_size)`: `purge` samples before each block, `purge + embargo` after it,
    /// nothing between adjacent test folds.
    pub fn split_indices(&self, n: usize) -> Result<CombinatorialSplits, CvError> {
        let folds = self.folds(n)?;
        let tests = combinations(self.n_splits, self.n_test_splits);
        let splits = tests
            .iter()
            .map(|chosen| {
                let mut mark = vec![0i8; n];
                for &f in chosen {
                    folds[f].clone().for_each(|i| mark[i] = 1);
                }
                let is_test: Vec<bool> = mark.iter().map(|&m| m == 1).collect();
                for t in 0..n.saturating_sub(1) {
                    if !is_test[t] && is_test[t + 1] {
                        (0..self.purge).for_each(|k| mark[t.saturating_sub(k)] = -1);
                    }
                    if is_test[t] && !is_test[t + 1] {
                        (0..self.purge + self.embargo)
                            .for_each(|k| mark[(t + k + 1).min(n - 1)] = -1);
                    }
                }
                let train = (0..n).filter(|&i| mark[i] == 0).collect();
                let test = (0..n).filter(|&i| is_test[i]).collect();
                Split { train, test }
            })
            .collect();
        Ok(CombinatorialSplits {
            splits,
            paths: self.paths(&tests),
            folds,
        })
    }

    /// Label mode: each contiguous run of test folds is a test block; training samples
    /// are purged by their label intervals against each block and embargoed `embargo`
    /// bars after it (`purge` extends each window earlier, as `purge_gap` does).
    pub fn split_labels(&self, labels: &Labels) -> Result<CombinatorialSplits, CvError> {
        let n = labels.len();
        let folds = self.folds(n)?;
        let tests = combinations(self.n_splits, self.n_test_splits);
        let splits = tests
            .iter()
            .map(|chosen| {
                let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
                for &f in chosen {
                    match blocks.last_mut() {
                        Some(b) if b.end == folds[f].start => b.end = folds[f].end,
                        _ => blocks.push(folds[f].clone()),
                    }
                }
                let in_test = |i: usize| blocks.iter().any(|b| b.contains(&i));
                let train = purge(
                    labels,
                    (0..n).filter(|&i| !in_test(i)),
                    &blocks,
                    self.purge,
                    self.embargo,
                );
                Split {
                    train,
                    test: blocks.iter().flat_map(|b| b.clone()).collect(),
                }
            })
            .collect();
        Ok(CombinatorialSplits {
            splits,
            paths: self.paths(&tests),
            folds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_lexicographic() {
        assert_eq!(
            combinations(4, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        assert_eq!(combinations(16, 8).len(), 12_870);
    }

    /// The leaky variant ends the test window at the *first* test label's end; a
    /// training label that starts after it but before the last test label ends would
    /// survive there. Here it must be purged.
    #[test]
    fn the_window_ends_at_the_latest_test_label() {
        // labels of varying length: sample 4's label reaches bar 9
        let labels = Labels {
            t0: (0..12).collect(),
            t1: vec![0, 1, 2, 3, 9, 5, 6, 7, 8, 9, 10, 11],
        };
        let cv = PurgedKFold {
            n_splits: 3,
            purge_gap: 0,
            embargo_pct: 0.0,
        };
        let splits = cv.split(&labels).unwrap();
        // fold 1 = samples 4..8, window [4, 9]; samples 8 and 9 start inside it
        assert_eq!(splits[1].test, vec![4, 5, 6, 7]);
        assert!(!splits[1].train.contains(&8) && !splits[1].train.contains(&9));
        assert!(splits[1].train.contains(&10));
    }
}
