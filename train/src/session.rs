//! One live stream of bars through a bundle, as `tickml stream` and its partitioned
//! NATS workers run it: a pipeline per symbol, created on the symbol's first bar, and a
//! universe's timestamp decided together ([`decide_cross_section`]) once it is complete:
//! every expected member arrived, or a later timestamp began, or the input ended.
//!
//! Each bar is offered with a caller's tag (a line number, a stream sequence) that
//! comes back with its decision, so a caller can tell which inputs a decision covers.

use std::collections::HashMap;

use tickml_core::model::ScorerRecord;
use tickml_core::pipeline::{Decision, Pipeline, PipelineError};
use tickml_core::Bar;

use crate::cross_section::decide_cross_section;

/// Why a bar was refused; nothing of a refused bar is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A new symbol beyond the session's capacity.
    #[error("more than {0} symbols")]
    TooManySymbols(usize),
    /// A bar at or before its symbol's previous bar.
    #[error("timestamp goes backwards for its symbol")]
    Backwards,
    /// A bar before the timestamp being gathered.
    #[error("rows are not in time order: a bar before the current timestamp")]
    OutOfOrder,
    /// A symbol outside the declared universe.
    #[error("symbol `{0}` is not in the universe")]
    NotInUniverse(String),
    /// A second bar of a symbol at the timestamp being gathered.
    #[error("symbol `{0}` twice at one timestamp")]
    Twice(String),
    /// The bundle or a snapshot was refused by the core.
    #[error("{0}")]
    Pipeline(PipelineError),
}

/// How bars become decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// A timestamp's bars are gathered and decided together (ranks over the members).
    ByTimestamp,
    /// Each bar is decided as it arrives: right for a bundle without cross-sectional
    /// features ([`tickml_core::FeatureSet::is_cross_sectional`]), whose decisions do
    /// not depend on the other members.
    PerBar,
}

/// One decided bar.
#[derive(Debug)]
pub struct Decided<K> {
    /// The tag the bar was offered with.
    pub tag: K,
    /// Its symbol.
    pub symbol: Option<String>,
    /// Its timestamp as received.
    pub timestamp: String,
    /// The index of its symbol's pipeline ([`Session::pipeline`]).
    pub pipeline: usize,
    /// How many members its timestamp was decided with.
    pub members: usize,
    /// The decision, or why the pipeline refused the bar.
    pub decision: Result<Decision<f64>, PipelineError>,
}

struct Gathered<K> {
    tag: K,
    symbol: Option<String>,
    timestamp: String,
    bar: Bar<f64>,
    pipeline: usize,
}

/// The pipelines of one stream and the timestamp being gathered.
pub struct Session<'b, K> {
    /// A fresh pipeline of the bundle, cloned for each new symbol (parsing and
    /// validating the bundle once).
    template: Pipeline<'b, f64>,
    grouping: Grouping,
    max_symbols: usize,
    universe: Option<Vec<String>>,
    pipelines: Vec<Pipeline<'b, f64>>,
    index: HashMap<Option<String>, usize>,
    /// Each pipeline's symbol, by pipeline index.
    names: Vec<Option<String>>,
    /// The pipeline of the last bar offered: a stream of one symbol, or of runs of one,
    /// finds it without hashing.
    recent: usize,
    /// The last timestamp each pipeline took, by pipeline index.
    last_seen: Vec<Option<i64>>,
    pending: Vec<Gathered<K>>,
    incomplete: u64,
}

impl<'b, K> Session<'b, K> {
    /// A session of `bundle` for at most `max_symbols` symbols. With a `universe`, a
    /// timestamp is complete when each member arrived, and other symbols are refused.
    pub fn new(
        bundle: &'b [u8],
        grouping: Grouping,
        max_symbols: usize,
        universe: Option<Vec<String>>,
    ) -> Result<Self, SessionError> {
        let template = Pipeline::<f64>::from_bundle(bundle).map_err(SessionError::Pipeline)?;
        Ok(Self {
            template,
            grouping,
            max_symbols,
            universe,
            pipelines: Vec::new(),
            index: HashMap::new(),
            names: Vec::new(),
            recent: 0,
            last_seen: Vec::new(),
            pending: Vec::new(),
            incomplete: 0,
        })
    }

    /// Records [`Session::lay_out_trees`] takes ([`Pipeline::scorer_records_needed`]).
    pub fn scorer_records_needed(&self) -> usize {
        self.template.scorer_records_needed()
    }

    /// Lays the bundle's tree models out in `buf`
    /// ([`Pipeline::lay_out_trees`]): the pipelines of the symbols that arrive from then
    /// on predict from it, the same numbers faster. Call it before the first bar; a
    /// pipeline made before keeps the walk from the blob.
    pub fn lay_out_trees(&mut self, buf: &'b mut [ScorerRecord]) -> Result<(), SessionError> {
        self.template
            .lay_out_trees(buf)
            .map_err(SessionError::Pipeline)
    }

    /// The pipeline at `index` (a [`Decided::pipeline`]).
    pub fn pipeline(&self, index: usize) -> Option<&Pipeline<'b, f64>> {
        self.pipelines.get(index)
    }

    /// Every symbol's pipeline, by symbol.
    pub fn symbols(&self) -> Vec<(Option<&str>, &Pipeline<'b, f64>)> {
        let mut out: Vec<(Option<&str>, &Pipeline<'b, f64>)> = self
            .index
            .iter()
            .filter_map(|(s, &i)| Some((s.as_deref(), self.pipelines.get(i)?)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Timestamps decided before every universe member arrived.
    pub fn incomplete(&self) -> u64 {
        self.incomplete
    }

    /// Bars gathered and not yet decided, oldest first, by tag.
    pub fn pending(&self) -> impl Iterator<Item = &K> {
        self.pending.iter().map(|g| &g.tag)
    }

    /// Restores `symbol`'s pipeline from a [`Pipeline::snapshot`] (creating it); the
    /// symbol's next bar must follow the snapshot's last one. Nothing changes on an
    /// error.
    pub fn restore(&mut self, symbol: Option<String>, snapshot: &[u8]) -> Result<(), SessionError> {
        let mut p = self.template.clone();
        p.restore(snapshot).map_err(SessionError::Pipeline)?;
        let last = p.feature_set().last_timestamp();
        let slot = match self.index.get(&symbol) {
            Some(&i) => i,
            None => self.add(&symbol)?,
        };
        self.pipelines[slot] = p;
        self.last_seen[slot] = last;
        Ok(())
    }

    /// Offers one bar; the decisions it completes (its own, a gathered timestamp's, or
    /// both) are appended to `decided` in the order their bars were offered. `built`
    /// marks a bar made from trades, which may complete after a later bar of another
    /// symbol: it is then decided on its own.
    pub fn offer(
        &mut self,
        tag: K,
        symbol: Option<String>,
        timestamp: String,
        bar: Bar<f64>,
        built: bool,
        decided: &mut Vec<Decided<K>>,
    ) -> Result<(), SessionError> {
        let ts = bar.timestamp();
        let slot = if self.names.get(self.recent) == Some(&symbol) {
            Some(self.recent)
        } else {
            self.index.get(&symbol).copied()
        };
        if let Some(i) = slot {
            self.recent = i;
        }
        let last = slot.and_then(|i| self.last_seen.get(i).copied().flatten());
        if last.is_some_and(|p| ts <= p) {
            return Err(SessionError::Backwards);
        }
        let alone = symbol.is_none() || self.grouping == Grouping::PerBar;
        if !alone {
            if let Some(first) = self.pending.first().map(|g| g.bar.timestamp()) {
                if ts < first {
                    if !built {
                        return Err(SessionError::OutOfOrder);
                    }
                    let g = self.accept(slot, tag, symbol, timestamp, bar)?;
                    self.decide(vec![g], decided);
                    return Ok(());
                }
                if ts > first {
                    self.complete(decided);
                }
            }
            if self.pending.iter().any(|g| g.symbol == symbol) {
                return Err(SessionError::Twice(symbol.unwrap_or_default()));
            }
        }
        let g = self.accept(slot, tag, symbol, timestamp, bar)?;
        if alone {
            let decision = self.pipelines[g.pipeline].on_bar(&g.bar);
            decided.push(g.decided(1, decision));
            return Ok(());
        }
        self.pending.push(g);
        if self
            .universe
            .as_ref()
            .is_some_and(|u| self.pending.len() == u.len())
        {
            let batch = std::mem::take(&mut self.pending);
            self.decide(batch, decided);
        }
        Ok(())
    }

    /// Decides the timestamp being gathered (at the end of the input).
    pub fn finish(&mut self, decided: &mut Vec<Decided<K>>) {
        if !self.pending.is_empty() {
            self.complete(decided);
        }
    }

    fn complete(&mut self, decided: &mut Vec<Decided<K>>) {
        if self
            .universe
            .as_ref()
            .is_some_and(|u| self.pending.len() < u.len())
        {
            self.incomplete += 1;
        }
        let batch = std::mem::take(&mut self.pending);
        self.decide(batch, decided);
    }

    /// Checks the universe and the capacity, then takes the bar for the pipeline at
    /// `slot` (a new one for a new symbol).
    fn accept(
        &mut self,
        slot: Option<usize>,
        tag: K,
        symbol: Option<String>,
        timestamp: String,
        bar: Bar<f64>,
    ) -> Result<Gathered<K>, SessionError> {
        if let Some(u) = &self.universe {
            if !u.iter().any(|m| Some(m) == symbol.as_ref()) {
                return Err(SessionError::NotInUniverse(symbol.unwrap_or_default()));
            }
        }
        let pipeline = match slot {
            Some(i) => i,
            None => self.add(&symbol)?,
        };
        if let Some(last) = self.last_seen.get_mut(pipeline) {
            *last = Some(bar.timestamp());
        }
        Ok(Gathered {
            tag,
            symbol,
            timestamp,
            bar,
            pipeline,
        })
    }

    fn add(&mut self, symbol: &Option<String>) -> Result<usize, SessionError> {
        if self.pipelines.len() >= self.max_symbols {
            return Err(SessionError::TooManySymbols(self.max_symbols));
        }
        self.index.insert(symbol.clone(), self.pipelines.len());
        self.names.push(symbol.clone());
        self.pipelines.push(self.template.clone());
        self.last_seen.push(None);
        Ok(self.pipelines.len() - 1)
    }

    /// Decides a timestamp's gathered bars together (their cross-section).
    fn decide(&mut self, batch: Vec<Gathered<K>>, decided: &mut Vec<Decided<K>>) {
        let members = batch.len();
        let inputs: Vec<(usize, &str, Bar<f64>)> = batch
            .iter()
            .map(|g| (g.pipeline, g.symbol.as_deref().unwrap_or(""), g.bar))
            .collect();
        let decisions = decide_cross_section(&mut self.pipelines, &inputs);
        decided.extend(
            batch
                .into_iter()
                .zip(decisions)
                .map(|(g, decision)| g.decided(members, decision)),
        );
    }
}

impl<K> Gathered<K> {
    /// The bar decided with `members` members of its timestamp.
    fn decided(self, members: usize, decision: Result<Decision<f64>, PipelineError>) -> Decided<K> {
        Decided {
            tag: self.tag,
            symbol: self.symbol,
            timestamp: self.timestamp,
            pipeline: self.pipeline,
            members,
            decision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../stream-cli/assets/default_bundle.tml"
        ))
        .unwrap()
    }

    fn bar(day: i64, close: f64) -> Bar<f64> {
        Bar::new(
            day * 86_400_000_000_000,
            close,
            close + 1.0,
            close - 1.0,
            close,
            1e6,
        )
        .unwrap()
    }

    /// Three symbols' interleaved bars decide as each symbol's own pipeline fed its own
    /// bars (the default bundle has no cross-sectional features), grouped or not.
    #[test]
    fn decisions_equal_one_pipeline_per_symbol() {
        let bytes = bundle();
        let series = |s: usize, d: i64| 100.0 + (d as f64 * (0.3 + s as f64)).sin() * 5.0;
        for grouping in [Grouping::ByTimestamp, Grouping::PerBar] {
            let mut session = Session::new(&bytes, grouping, 8, None).unwrap();
            let mut decided = Vec::new();
            for d in 0..300 {
                for s in 0..3 {
                    let sym = Some(format!("S{s}"));
                    session
                        .offer(
                            (d, s),
                            sym,
                            d.to_string(),
                            bar(d, series(s, d)),
                            false,
                            &mut decided,
                        )
                        .unwrap();
                }
            }
            session.finish(&mut decided);
            assert_eq!(decided.len(), 900);
            for s in 0..3 {
                let mut own = Pipeline::<f64>::from_bundle(&bytes).unwrap();
                let mine: Vec<&Decided<(i64, usize)>> =
                    decided.iter().filter(|x| x.tag.1 == s).collect();
                for (d, x) in mine.iter().enumerate() {
                    assert_eq!(x.tag.0, d as i64, "offer order kept");
                    let want = own.on_bar(&bar(d as i64, series(s, d as i64))).unwrap();
                    let got = x.decision.as_ref().unwrap();
                    assert_eq!(format!("{got:?}"), format!("{want:?}"));
                }
            }
        }
    }

    #[test]
    fn refused_bars_change_nothing() {
        let bytes = bundle();
        let u = Some(vec!["A".to_string(), "B".to_string()]);
        let mut session = Session::new(&bytes, Grouping::ByTimestamp, 2, u).unwrap();
        let mut decided = Vec::new();
        let a = || Some("A".to_string());
        session
            .offer(1, a(), "1".into(), bar(1, 10.0), false, &mut decided)
            .unwrap();
        assert!(matches!(
            session.offer(2, a(), "1".into(), bar(1, 10.0), false, &mut decided),
            Err(SessionError::Backwards)
        ));
        assert!(matches!(
            session.offer(
                3,
                Some("C".into()),
                "1".into(),
                bar(1, 10.0),
                false,
                &mut decided
            ),
            Err(SessionError::NotInUniverse(_))
        ));
        assert!(decided.is_empty());
        assert_eq!(session.pending().copied().collect::<Vec<_>>(), vec![1]);
        session
            .offer(
                4,
                Some("B".into()),
                "1".into(),
                bar(1, 11.0),
                false,
                &mut decided,
            )
            .unwrap();
        assert_eq!(
            decided.iter().map(|d| d.tag).collect::<Vec<_>>(),
            vec![1, 4]
        );
        assert!(decided.iter().all(|d| d.members == 2));
        // B's bar at day 3 begins a timestamp A has not reached: A's day 2 is then late
        session
            .offer(
                5,
                Some("B".into()),
                "3".into(),
                bar(3, 11.0),
                false,
                &mut decided,
            )
            .unwrap();
        assert!(matches!(
            session.offer(6, a(), "2".into(), bar(2, 10.0), false, &mut decided),
            Err(SessionError::OutOfOrder)
        ));
        session.finish(&mut decided);
        assert_eq!(session.incomplete(), 1);
        assert_eq!(decided.len(), 3);
    }

    /// A pipeline restored from a snapshot continues as the one that never stopped.
    #[test]
    fn a_restored_symbol_continues_bit_for_bit() {
        let bytes = bundle();
        let mut whole = Session::new(&bytes, Grouping::PerBar, 4, None).unwrap();
        let mut resumed = Session::new(&bytes, Grouping::PerBar, 4, None).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let sym = || Some("X".to_string());
        for d in 0..400 {
            let close = 50.0 + (d as f64 * 0.1).cos() * 3.0;
            whole
                .offer(d, sym(), d.to_string(), bar(d, close), false, &mut a)
                .unwrap();
            if d == 250 {
                let mut buf = vec![0u8; 1 << 16];
                let snap = whole
                    .pipeline(0)
                    .unwrap()
                    .snapshot(&mut buf)
                    .unwrap()
                    .to_vec();
                resumed.restore(sym(), &snap).unwrap();
                assert!(matches!(
                    resumed.offer(d, sym(), d.to_string(), bar(d, close), false, &mut b),
                    Err(SessionError::Backwards)
                ));
            }
            if d > 250 {
                resumed
                    .offer(d, sym(), d.to_string(), bar(d, close), false, &mut b)
                    .unwrap();
            }
        }
        let tail: Vec<String> = a[251..]
            .iter()
            .map(|x| format!("{:?}", x.decision))
            .collect();
        let back: Vec<String> = b.iter().map(|x| format!("{:?}", x.decision)).collect();
        assert_eq!(tail, back);
        assert!(resumed.restore(sym(), b"not a snapshot").is_err());
    }
}
