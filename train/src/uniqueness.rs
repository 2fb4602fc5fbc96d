//! Sample weights for overlapping labels: the average uniqueness of López de Prado,
//! *Advances in Financial Machine Learning* (2018), section 4.4.
//!
//! A label spanning bars `[t0, t1]` shares each bar `t` of its span with the `c_t`
//! labels of its symbol whose spans hold `t` (itself included); its uniqueness at `t` is
//! `1 / c_t` and its average uniqueness `u = mean_{t0 <= t <= t1} 1 / c_t`. With a
//! horizon of `h` bars and a label every bar, `u` is about `1 / (h + 1)` away from the
//! ends of the data: overlapping labels count once between them instead of `h + 1`
//! times, which is what fitting on them pretends.

use crate::cv::Labels;

/// Each label's average uniqueness among the labels of the same `symbol`, in O(n + T)
/// per symbol (concurrency by a difference array, `1 / c` by prefix sums).
pub fn average_uniqueness(labels: &Labels, symbol: &[u32]) -> Vec<f64> {
    let n = labels.len();
    let mut u = vec![0.0; n];
    let mut by_symbol: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for i in 0..n {
        by_symbol
            .entry(symbol.get(i).copied().unwrap_or(0))
            .or_default()
            .push(i);
    }
    for members in by_symbol.values() {
        let first = members.iter().map(|&i| labels.t0[i]).min().unwrap_or(0);
        let last = members.iter().map(|&i| labels.t1[i]).max().unwrap_or(0);
        let span = last - first + 1;
        let mut change = vec![0i64; span + 1];
        for &i in members {
            change[labels.t0[i] - first] += 1;
            change[labels.t1[i] - first + 1] -= 1;
        }
        // prefix[t] = sum of 1 / c over the bars before t (bars no label holds add 0)
        let mut prefix = vec![0.0; span + 1];
        let mut concurrent = 0i64;
        for t in 0..span {
            concurrent += change[t];
            prefix[t + 1] = prefix[t]
                + if concurrent > 0 {
                    1.0 / concurrent as f64
                } else {
                    0.0
                };
        }
        for &i in members {
            let (a, b) = (labels.t0[i] - first, labels.t1[i] - first);
            u[i] = (prefix[b + 1] - prefix[a]) / (b - a + 1) as f64;
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, bar by bar and label by label.
    fn naive(labels: &Labels, symbol: &[u32]) -> Vec<f64> {
        (0..labels.len())
            .map(|i| {
                let bars = labels.t0[i]..=labels.t1[i];
                let count = bars.clone().count() as f64;
                bars.map(|t| {
                    let c = (0..labels.len())
                        .filter(|&j| {
                            symbol[j] == symbol[i] && labels.t0[j] <= t && t <= labels.t1[j]
                        })
                        .count();
                    1.0 / c as f64
                })
                .sum::<f64>()
                    / count
            })
            .collect()
    }

    #[test]
    fn by_hand() {
        // bars 0..=2, 1..=3, 3..=3: concurrency 1, 2, 2, 2
        let labels = Labels {
            t0: vec![0, 1, 3],
            t1: vec![2, 3, 3],
        };
        let u = average_uniqueness(&labels, &[0, 0, 0]);
        let expected = [(1.0 + 0.5 + 0.5) / 3.0, 0.5, 0.5];
        for (a, b) in u.iter().zip(expected) {
            assert!((a - b).abs() < 1e-15, "{u:?}");
        }
        // another symbol's labels do not overlap these
        let u = average_uniqueness(&labels, &[0, 1, 0]);
        assert_eq!(u[1], 1.0);
    }

    proptest! {
        #[test]
        fn equals_the_definition(
            spans in proptest::collection::vec((0usize..40, 0usize..8, 0u32..3), 1..60)
        ) {
            let labels = Labels {
                t0: spans.iter().map(|s| s.0).collect(),
                t1: spans.iter().map(|s| s.0 + s.1).collect(),
            };
            let symbol: Vec<u32> = spans.iter().map(|s| s.2).collect();
            let (fast, slow) = (average_uniqueness(&labels, &symbol), naive(&labels, &symbol));
            for (a, b) in fast.iter().zip(&slow) {
                prop_assert!((a - b).abs() < 1e-12, "{} vs {}", a, b);
                prop_assert!(*a > 0.0 && *a <= 1.0 + 1e-12, "{}", a);
            }
        }
    }
}
