//! Trades into bars: the core's builder against pandas (standard bars) and a plain
//! Python transcription of AFML 2.3.2 (imbalance and run bars), both in
//! `tests/fixtures/gen_bars.py`; feeding trades one at a time or in chunks, volume
//! conservation and refused trades by proptest.

mod common;

use common::repo_path;
use proptest::prelude::*;
use tickml_core::bars::{BarBuilder, BarRule, Side, Trade};
use tickml_core::Bar;
use tickml_train::data::{bars_from_trades, load_trades, parse_bar_rule};

#[test]
fn bars_equal_the_reference_for_every_rule() {
    let trades = load_trades(repo_path("tests/fixtures/trades.csv")).unwrap();
    assert_eq!(trades.len(), 6000);
    let text = std::fs::read_to_string(repo_path("tests/fixtures/bars_reference.json")).unwrap();
    let reference: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).unwrap();
    assert_eq!(reference.len(), 12);
    for (rule, want) in &reference {
        let got = bars_from_trades(&trades, parse_bar_rule(rule).unwrap()).unwrap();
        let want = want.as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{rule}: bar count");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            let w = w.as_array().unwrap();
            let b = &g.bar;
            assert_eq!(
                b.timestamp(),
                w[0].as_i64().unwrap(),
                "{rule} bar {k}: timestamp"
            );
            let w: Vec<f64> = w[1..].iter().map(|v| v.as_f64().unwrap()).collect();
            let ours = [b.open(), b.high(), b.low(), b.close(), b.volume()];
            for (name, (o, t)) in ["open", "high", "low", "close", "volume"]
                .iter()
                .zip(ours.iter().zip(&w))
            {
                assert_eq!(o, t, "{rule} bar {k}: {name}");
            }
        }
    }
}

#[test]
fn rules_parse_and_bad_ones_are_refused() {
    assert_eq!(
        parse_bar_rule("time:5m").unwrap(),
        BarRule::Time {
            width_ns: 300_000_000_000
        }
    );
    assert_eq!(
        parse_bar_rule("tick:100").unwrap(),
        BarRule::Tick { trades: 100 }
    );
    match parse_bar_rule("dollar-run:40,span=5,bound=3").unwrap() {
        BarRule::Run(i) => assert_eq!((i.expected_trades, i.span, i.bound), (40, 5, 3)),
        other => panic!("{other:?}"),
    }
    for bad in [
        "tick:0",
        "time:5y",
        "volume:-1",
        "dollar:nan",
        "tick-imbalance:0",
        "tick-imbalance:10,span=0",
        "tick-imbalance:10,depth=3",
        "run:10",
        "tick",
    ] {
        assert!(parse_bar_rule(bad).is_err(), "{bad}");
    }
}

fn arb_trades() -> impl Strategy<Value = Vec<Trade<f64>>> {
    prop::collection::vec((0i64..3, -3i32..4, 0.0f64..50.0, 0u8..3), 1..400).prop_map(|steps| {
        let (mut ts, mut price) = (1_000_000_000i64, 100.0f64);
        steps
            .into_iter()
            .map(|(dt, dp, size, side)| {
                ts += dt * 1_000_000_000;
                price = (price + f64::from(dp) * 0.01).max(0.01);
                let side = [None, Some(Side::Buy), Some(Side::Sell)][usize::from(side)];
                Trade::new(ts, price, size.floor(), side).unwrap()
            })
            .collect()
    })
}

fn arb_rule() -> impl Strategy<Value = BarRule> {
    prop_oneof![
        Just("time:5s"),
        Just("tick:7"),
        Just("volume:150"),
        Just("dollar:20000"),
        Just("tick-imbalance:8"),
        Just("volume-imbalance:8,span=3,bound=4"),
        Just("dollar-imbalance:8"),
        Just("tick-run:8"),
        Just("volume-run:6,span=2,bound=2"),
        Just("dollar-run:8"),
    ]
    .prop_map(|r| parse_bar_rule(r).unwrap())
}

fn run(builder: &mut BarBuilder<f64>, trades: &[Trade<f64>]) -> Vec<Bar<f64>> {
    trades
        .iter()
        .filter_map(|t| builder.on_trade(t).unwrap())
        .collect()
}

proptest! {
    #[test]
    fn chunks_one_at_a_time_and_snapshots_agree(trades in arb_trades(), rule in arb_rule(), cut in 0usize..400) {
        let cut = cut.min(trades.len());
        let mut whole = BarBuilder::new(rule).unwrap();
        let all = run(&mut whole, &trades);
        // in two chunks, the builder serialised and restored between them
        let mut first = BarBuilder::new(rule).unwrap();
        let mut bars = run(&mut first, &trades[..cut]);
        let bytes = postcard::to_allocvec(&first).unwrap();
        let mut second: BarBuilder<f64> = postcard::from_bytes(&bytes).unwrap();
        bars.extend(run(&mut second, &trades[cut..]));
        prop_assert_eq!(&bars, &all);
        // no trade lost or counted twice: bar volumes plus the bar being built
        let total: f64 = trades.iter().map(|t| t.size()).sum();
        let counted: f64 = all.iter().map(|b| b.volume()).sum::<f64>() + whole.pending().volume;
        prop_assert!((total - counted).abs() <= 1e-9 * total.max(1.0), "{} vs {}", total, counted);
        // bar timestamps strictly increase
        prop_assert!(all.windows(2).all(|w| w[0].timestamp() < w[1].timestamp()));
    }

    #[test]
    fn a_refused_trade_changes_nothing(trades in arb_trades(), rule in arb_rule()) {
        let mut b = BarBuilder::new(rule).unwrap();
        run(&mut b, &trades);
        let before = b.clone();
        let last = trades.last().unwrap().timestamp();
        let stale = Trade::new(last - 1, 50.0, 10.0, None).unwrap();
        prop_assert!(b.on_trade(&stale).is_err());
        prop_assert_eq!(b, before);
    }
}

#[test]
fn information_bars_stay_within_their_bounds_on_a_long_run() {
    // a million trades whose imbalance drifts: without bounds the expected length would
    // run away or collapse; with them E[T] stays within [E0 / bound, E0 x bound]
    let mut rng = tickml_train::rng::XorShift64::new(9);
    for rule in [
        "tick-imbalance:50",
        "volume-imbalance:50",
        "dollar-imbalance:50",
        "tick-run:50",
        "volume-run:50",
    ] {
        let mut b = BarBuilder::<f64>::new(parse_bar_rule(rule).unwrap()).unwrap();
        let (mut price, mut bars, mut longest) = (100.0f64, 0u64, 0u32);
        let mut since = 0u32;
        for i in 0..1_000_000i64 {
            let drift = if (i / 100_000) % 2 == 0 { 0.7 } else { 0.3 };
            let side = if rng.uniform() < drift {
                Side::Buy
            } else {
                Side::Sell
            };
            price = (price + 0.01 * (rng.uniform() - 0.5)).max(1.0);
            let t = Trade::new(
                i * 1_000_000,
                price,
                1.0 + (rng.uniform() * 100.0).floor(),
                Some(side),
            )
            .unwrap();
            since += 1;
            if b.on_trade(&t).unwrap().is_some() {
                bars += 1;
                longest = longest.max(since);
                since = 0;
                let e = b.expected_trades().unwrap();
                assert!((5.0..=500.0).contains(&e), "{rule}: E[T] {e}");
            }
        }
        println!(
            "{rule}: {bars} bars from 1M trades, longest {longest}, final E[T] {:.1}",
            b.expected_trades().unwrap()
        );
        assert!(longest <= 500, "{rule}: a bar of {longest} trades");
        assert!(bars >= 1_000_000 / 500, "{rule}: {bars} bars");
    }
}

/// A bundle with a bar rule (a logistic model on `rsi_14` and `roc_5`), and the same
/// bundle without one.
fn bundles(rule: &str) -> (Vec<u8>, Vec<u8>) {
    use tickml_core::arbitrator::StrategyFamily;
    use tickml_core::model::Link;
    use tickml_train::export::LinearSpec;
    let model = LinearSpec {
        feature_names: vec!["rsi_14".into(), "roc_5".into()],
        link: Link::Sigmoid,
        intercept: 0.0,
        coefficients: vec![-0.02, 0.3],
    }
    .to_blob(0)
    .unwrap();
    let rule = parse_bar_rule(rule).unwrap();
    (
        common::one_model_bundle(1, StrategyFamily::MlModel, model.clone(), Some(rule)),
        common::one_model_bundle(1, StrategyFamily::MlModel, model, None),
    )
}

#[test]
fn on_trade_decides_as_research_bars_do_and_snapshots_keep_the_bar_being_built() {
    use tickml_core::pipeline::{Pipeline, PipelineError};
    let records = load_trades(repo_path("tests/fixtures/trades.csv")).unwrap();
    let trades: Vec<Trade<f64>> = records.iter().map(|r| r.trade).collect();
    let (with_rule, without) = bundles("tick:20");
    // research: the same builder over the file, then on_bar
    let bars = bars_from_trades(&records, parse_bar_rule("tick:20").unwrap()).unwrap();
    let mut research = Pipeline::<f64>::from_bundle(&without).unwrap();
    let expected: Vec<_> = bars
        .iter()
        .map(|b| research.on_bar(&b.bar).unwrap())
        .collect();
    // deployment: trades straight in
    let mut live = Pipeline::<f64>::from_bundle(&with_rule).unwrap();
    assert_eq!(live.bar_rule(), Some(BarRule::Tick { trades: 20 }));
    let mut decided = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut snapshot = None;
    for (k, t) in trades.iter().enumerate() {
        decided.extend(live.on_trade(t).unwrap());
        if k == 4_321 {
            assert!(
                live.bar_builder().unwrap().pending().trades > 0,
                "the snapshot is taken mid-bar"
            );
            snapshot = Some((k, live.snapshot(&mut buf).unwrap().to_vec(), decided.len()));
        }
    }
    assert_eq!(decided.len(), expected.len());
    assert!(decided.len() > 250);
    assert_eq!(format!("{decided:?}"), format!("{expected:?}"));
    // restored mid-bar, the rest of the trades give the same decisions
    let (k, bytes, n) = snapshot.unwrap();
    let mut restored = Pipeline::<f64>::from_bundle(&with_rule).unwrap();
    restored.restore(&bytes).unwrap();
    let rest: Vec<_> = trades[k + 1..]
        .iter()
        .filter_map(|t| restored.on_trade(t).unwrap())
        .collect();
    assert_eq!(format!("{rest:?}"), format!("{:?}", &decided[n..]));
    // a refused trade changes nothing; a bundle without a rule refuses trades
    let before = live.snapshot(&mut buf).unwrap().to_vec();
    let stale = Trade::new(trades[0].timestamp(), 100.0, 1.0, None).unwrap();
    assert!(live.on_trade(&stale).is_err());
    assert_eq!(live.snapshot(&mut buf).unwrap().to_vec(), before);
    let mut bars_only = Pipeline::<f64>::from_bundle(&without).unwrap();
    assert_eq!(
        bars_only.on_trade(&trades[0]),
        Err(PipelineError::NoBarRule)
    );
}

#[test]
fn version_2_and_3_bundles_still_load_and_decide_as_before() {
    use tickml_core::pipeline::Pipeline;
    // the same models as the fixtures, written as version 4 (the embedded default bundle
    // until its models were retrained on the shared tree learner)
    let new = std::fs::read(repo_path("tests/fixtures/models/default_bundle_v4.tml")).unwrap();
    assert_eq!(u16::from_le_bytes([new[4], new[5]]), 4);
    let embedded = std::fs::read(repo_path("stream-cli/assets/default_bundle.tml")).unwrap();
    assert_eq!(u16::from_le_bytes([embedded[4], embedded[5]]), 4);
    for version in [2u16, 3] {
        let path = format!("tests/fixtures/models/default_bundle_v{version}.tml");
        let old = std::fs::read(repo_path(&path)).unwrap();
        assert_eq!(u16::from_le_bytes([old[4], old[5]]), version);
        let (mut a, mut b) = (
            Pipeline::<f64>::from_bundle(&old).unwrap(),
            Pipeline::<f64>::from_bundle(&new).unwrap(),
        );
        assert_eq!(a.bar_rule(), None);
        assert!(a.universe().is_empty());
        assert_eq!(a.feature_set().schema(), b.feature_set().schema());
        for bar in &common::load("spx_daily.csv")[..400] {
            // Debug: NaN predictions during warm-up compare unequal by value
            let (x, y) = (a.on_bar(bar).unwrap(), b.on_bar(bar).unwrap());
            assert_eq!(format!("{x:?}"), format!("{y:?}"));
        }
    }
}
