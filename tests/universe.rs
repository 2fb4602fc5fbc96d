//! `Universe<N>`: cross-sectional ranks against a naive ranking, per-symbol state
//! identical to a lone `FeatureSet`, and refused cross-sections that change nothing.

mod common;

use tickml_core::{Bar, DefaultFeatureSet, Error, FeatureConfig, Universe};

fn bars() -> Vec<(u32, Vec<Bar<f64>>)> {
    ["spx_daily.csv", "goog_daily.csv"]
        .iter()
        .enumerate()
        .map(|(i, f)| (i as u32 + 1, common::load(f)))
        .chain(std::iter::once((
            3,
            common::load("spx_daily.csv")
                .iter()
                .map(|b| {
                    Bar::new(
                        b.timestamp(),
                        b.open() * 2.0,
                        b.high() * 2.1,
                        b.low() * 1.9,
                        b.close() * 2.0,
                        5.0,
                    )
                    .unwrap()
                })
                .collect(),
        )))
        .collect()
}

#[test]
fn ranks_match_a_naive_ranking_and_symbols_match_lone_sets() {
    let symbols = bars();
    let mut universe = Universe::<f64, 4>::new(FeatureConfig::default()).unwrap();
    let mut lone: Vec<DefaultFeatureSet<f64>> = symbols
        .iter()
        .map(|_| DefaultFeatureSet::new(FeatureConfig::default()).unwrap())
        .collect();
    let schema = lone[0].schema().clone();
    let (rank, pct) = (
        schema.index_of("xs_rank").unwrap(),
        schema.index_of("xs_pct").unwrap(),
    );
    // align by timestamp: each symbol contributes when it has a bar at that time
    let mut times: Vec<i64> = symbols
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.timestamp()))
        .collect();
    times.sort();
    times.dedup();
    let mut cursors = vec![0usize; symbols.len()];
    for t in times.iter().take(1500) {
        let mut batch = Vec::new();
        for (k, (id, bars)) in symbols.iter().enumerate() {
            if bars.get(cursors[k]).is_some_and(|b| b.timestamp() == *t) {
                batch.push((k, *id, bars[cursors[k]]));
                cursors[k] += 1;
            }
        }
        let input: Vec<(u32, Bar<f64>)> = batch.iter().map(|(_, id, b)| (*id, *b)).collect();
        universe.update(&input).unwrap();
        let returns: Vec<Option<f64>> = batch
            .iter()
            .map(|(k, _, b)| {
                lone[*k].update(b).unwrap();
                lone[*k].last_log_return()
            })
            .collect();
        let present: Vec<f64> = returns.iter().flatten().copied().collect();
        for ((k, id, _), r) in batch.iter().zip(&returns) {
            let got = universe.features(*id).unwrap();
            for i in 0..schema.len() {
                if i != rank && i != pct {
                    assert_eq!(
                        got.values()[i].to_bits(),
                        lone[*k].features().values()[i].to_bits()
                    );
                }
            }
            match r {
                None => assert_eq!((got.get(rank), got.get(pct)), (None, None)),
                Some(r) => {
                    let below = present.iter().filter(|o| *o < r).count();
                    let m = present.len();
                    let want_pct = if m > 1 {
                        below as f64 / (m - 1) as f64
                    } else {
                        0.5
                    };
                    assert_eq!(got.get(rank), Some(below as f64 + 1.0));
                    assert_eq!(got.get(pct), Some(want_pct));
                }
            }
        }
    }
}

#[test]
fn refused_cross_sections_change_nothing() {
    let spx = common::load("spx_daily.csv");
    let mut universe = Universe::<f64, 2>::new(FeatureConfig::default()).unwrap();
    universe.update(&[(1, spx[0]), (2, spx[0])]).unwrap();
    let before = format!("{:?}", universe.features(1));
    assert_eq!(
        universe.update(&[(1, spx[1]), (1, spx[1])]).unwrap_err(),
        Error::DuplicateSymbol
    );
    assert_eq!(
        universe.update(&[(1, spx[1]), (3, spx[1])]).unwrap_err(),
        Error::UniverseFull { capacity: 2 }
    );
    assert!(matches!(
        universe.update(&[(1, spx[0]), (2, spx[0])]).unwrap_err(),
        Error::TimestampNotIncreasing { .. }
    ));
    // a batch must be one cross-section: mixed timestamps would rank a later return
    // against earlier ones
    assert_eq!(
        universe.update(&[(1, spx[1]), (2, spx[2])]).unwrap_err(),
        Error::MixedTimestamps {
            first: spx[1].timestamp(),
            other: spx[2].timestamp()
        }
    );
    assert_eq!(format!("{:?}", universe.features(1)), before);
    assert_eq!(universe.get(1).unwrap().bars_seen(), 1);
}
