//! Regime detection: the HMM forward filter against hmmlearn's forward pass, and the
//! rule detector's evidence on real S&P 500 history.

mod common;

use common::repo_path;
use tickml_core::regime::{
    GaussianHmm, HmmDetector, RegimeDetector, RegimeType, RuleConfig, RuleDetector, MAX_STATES,
};
use tickml_core::{DefaultFeatureSet, FeatureConfig};
use tickml_train::export::HmmSpec;

fn hmm_fixture() -> (serde_json::Value, Vec<u8>) {
    let text = std::fs::read_to_string(repo_path("tests/fixtures/hmm_spx.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = |key: &str| -> Vec<Vec<f64>> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            })
            .collect()
    };
    // by mean realized volatility: the calmest state is BullTrend, the most volatile Crisis
    let means = rows("means");
    let mut order: Vec<usize> = (0..means.len()).collect();
    order.sort_by(|&a, &b| means[a][1].total_cmp(&means[b][1]));
    let mut regimes = vec![RegimeType::Ranging; 3];
    regimes[order[0]] = RegimeType::BullTrend;
    regimes[order[2]] = RegimeType::Crisis;
    let spec = HmmSpec {
        feature_names: vec!["logret_5".into(), "rvol_20".into()],
        start: v["startprob"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect(),
        transition: rows("transmat"),
        means: rows("means"),
        variances: rows("variances"),
        regimes,
    };
    let blob = spec.to_blob(0).unwrap();
    (v, blob)
}

/// The filter keeps log alpha normalised (it streams forever); adding back the running
/// log-likelihood gives hmmlearn's unnormalised lattice, compared within 1e-12 relative.
/// hmmlearn's posteriors are differences of lattice values near -1e4, so they carry
/// its rounding at that magnitude: they are compared within 1e-12 of |fwd_t|.
#[test]
fn forward_filter_equals_hmmlearn_within_1e12() {
    let (v, blob) = hmm_fixture();
    let (hmm, _) = GaussianHmm::from_blob(&blob).unwrap();
    let observations = v["observations"].as_array().unwrap();
    let lattice = v["forward_lattice"].as_array().unwrap();
    let posteriors = v["posteriors"].as_array().unwrap();
    let mut log_alpha: Option<[f64; MAX_STATES]> = None;
    let mut log_prob = 0.0;
    let (mut worst_lattice, mut worst_posterior) = (0.0f64, 0.0f64);
    for (t, ((x, fwd), want)) in observations.iter().zip(lattice).zip(posteriors).enumerate() {
        let x: Vec<f64> = x
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        log_prob += hmm.forward_step(&mut log_alpha, Some(&x));
        let la = log_alpha.unwrap();
        for (j, (f, w)) in fwd
            .as_array()
            .unwrap()
            .iter()
            .zip(want.as_array().unwrap())
            .enumerate()
        {
            let (f, w) = (f.as_f64().unwrap(), w.as_f64().unwrap());
            let ours = la[j] + log_prob;
            let rel = (ours - f).abs() / f.abs().max(1.0);
            assert!(
                rel <= 1e-12,
                "t={t} state {j}: log alpha {ours} vs hmmlearn {f}"
            );
            worst_lattice = worst_lattice.max(rel);
            let err = (la[j].exp() - w).abs();
            assert!(
                err <= 1e-12 * f.abs().max(1.0),
                "t={t} state {j}: posterior {} vs hmmlearn {w}",
                la[j].exp()
            );
            worst_posterior = worst_posterior.max(err);
        }
    }
    let want = v["log_prob"].as_f64().unwrap();
    assert!(
        (log_prob - want).abs() <= 1e-12 * want.abs(),
        "{log_prob} vs {want}"
    );
    println!(
        "{} steps: worst lattice error {worst_lattice:e} (relative), worst posterior error {worst_posterior:e}, log-likelihood {log_prob} vs {want}",
        observations.len()
    );
}

#[test]
fn hmm_detector_runs_on_the_pipeline_features() {
    let (_, blob) = hmm_fixture();
    let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let mut detector = HmmDetector::<f64>::new(&blob, set.schema()).unwrap();
    let mut crisis_in_2008 = 0;
    let bars = tickml_train::data::load_bars(repo_path("data/spx_daily.csv")).unwrap();
    for record in &bars {
        let state = detector.update(set.update(&record.bar).unwrap().values());
        let total: f64 = state.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-9 && (0.0..=1.0).contains(&state.confidence));
        if record.timestamp_text.starts_with("2008-1") && state.regime == RegimeType::Crisis {
            crisis_in_2008 += 1;
        }
    }
    assert!(
        crisis_in_2008 > 30,
        "the volatile state dominates Oct-Dec 2008 ({crisis_in_2008} bars)"
    );
}

/// Share of the bars in [from, to) (RFC 3339 prefixes compare as strings) whose
/// reported regime is one of `wanted`.
fn share(regimes: &[(String, RegimeType)], from: &str, to: &str, wanted: &[RegimeType]) -> f64 {
    let period: Vec<_> = regimes
        .iter()
        .filter(|(t, _)| t.as_str() >= from && t.as_str() < to)
        .collect();
    period.iter().filter(|(_, r)| wanted.contains(r)).count() as f64 / period.len() as f64
}

/// Thresholds (RuleConfig::default): crisis = 100-bar drawdown <= -15% below the
/// 200-bar SMA; high volatility = vol_regime >= 0.8 outside a bull trend; bull trend =
/// close above the 200-bar SMA with a rising 50-bar log-price slope; dwell 3 bars.
#[test]
fn rule_detector_finds_the_crises_and_the_bull_years() {
    let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let mut detector = RuleDetector::<f64>::new(RuleConfig::default(), set.schema()).unwrap();
    let bars = tickml_train::data::load_bars(repo_path("data/spx_daily.csv")).unwrap();
    let regimes: Vec<(String, RegimeType)> = bars
        .iter()
        .map(|r| {
            (
                r.timestamp_text.clone(),
                detector.update(set.update(&r.bar).unwrap().values()).regime,
            )
        })
        .collect();
    let stress = [RegimeType::Crisis, RegimeType::HighVolatility];
    let gfc = share(&regimes, "2008-10", "2009-04", &stress);
    let aug_2011 = share(&regimes, "2011-08", "2011-09", &stress);
    let bull_2013 = share(&regimes, "2013", "2014", &[RegimeType::BullTrend]);
    let bull_2017 = share(&regimes, "2017", "2018", &[RegimeType::BullTrend]);
    println!("stress Oct 2008-Mar 2009 {gfc:.3}, Aug 2011 {aug_2011:.3}; bull 2013 {bull_2013:.3}, 2017 {bull_2017:.3}");
    assert!(
        gfc > 0.5 && aug_2011 > 0.5,
        "stress shares {gfc} {aug_2011}"
    );
    assert!(
        bull_2013 > 0.5 && bull_2017 > 0.5,
        "bull shares {bull_2013} {bull_2017}"
    );
}

#[test]
fn rule_detector_holds_a_regime_for_the_dwell_time() {
    let set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let schema = set.schema();
    let mut detector = RuleDetector::<f64>::new(RuleConfig::default(), schema).unwrap();
    let idx = |n: &str| schema.index_of(n).unwrap();
    let mut bull = vec![f64::NAN; schema.len()];
    for (n, v) in [
        ("dist_max_100", -0.01),
        ("close_to_sma_200", 0.05),
        ("slope_50", 0.001),
        ("vol_regime", 0.5),
        ("trend_strength_20", 0.3),
    ] {
        bull[idx(n)] = v;
    }
    let mut crisis = bull.clone();
    crisis[idx("dist_max_100")] = -0.3;
    crisis[idx("close_to_sma_200")] = -0.2;
    // while the inputs warm up there is no regime, with confidence 0 (not Ranging at
    // confidence 1, which handed mean reverters their ranging multiplier)
    let warming = vec![f64::NAN; schema.len()];
    for _ in 0..5 {
        let state = detector.update(&warming);
        assert_eq!((state.regime, state.confidence), (RegimeType::Unknown, 0.0));
        assert!(state.probabilities.iter().all(|p| *p == 0.0));
    }
    // the first known candidate is reported at once
    let first = detector.update(&bull);
    assert_eq!(
        (first.regime, first.confidence),
        (RegimeType::BullTrend, 1.0)
    );
    let mut ranging = bull.clone();
    ranging[idx("close_to_sma_200")] = 0.0;
    ranging[idx("trend_strength_20")] = 0.1;
    // from then on a new candidate must hold for the dwell time: Ranging on its third bar
    let next: Vec<RegimeType> = (0..3).map(|_| detector.update(&ranging).regime).collect();
    assert_eq!(
        next,
        [
            RegimeType::BullTrend,
            RegimeType::BullTrend,
            RegimeType::Ranging
        ]
    );
    let first: Vec<RegimeType> = (0..7).map(|_| detector.update(&bull).regime).collect();
    assert_eq!(
        first[..3],
        [
            RegimeType::Ranging,
            RegimeType::Ranging,
            RegimeType::BullTrend
        ]
    );
    assert!(first[3..].iter().all(|r| *r == RegimeType::BullTrend));
    // one or two crisis bars do not flip it; the third does
    assert_eq!(detector.update(&crisis).regime, RegimeType::BullTrend);
    assert_eq!(detector.update(&crisis).regime, RegimeType::BullTrend);
    let state = detector.update(&crisis);
    assert_eq!(state.regime, RegimeType::Crisis);
    // 7 bull and 3 crisis candidates in the 10-bar vote window
    assert!((state.confidence - 0.3).abs() < 1e-12);
    assert!((state.probabilities[RegimeType::BullTrend.index()] - 0.7).abs() < 1e-12);
}

/// Impossible thresholds and windows are typed errors, and the documented maximum vote
/// window (32) is accepted.
#[test]
fn rule_detector_refuses_impossible_configurations() {
    let set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let ok = |c: RuleConfig| RuleDetector::<f64>::new(c, set.schema()).is_ok();
    let d = RuleConfig::default();
    assert!(ok(RuleConfig {
        vote_window: 32,
        ..d
    }));
    for bad in [
        RuleConfig {
            vote_window: 33,
            ..d
        },
        RuleConfig {
            vote_window: 0,
            ..d
        },
        RuleConfig { dwell: 0, ..d },
        RuleConfig {
            high_vol: f64::NAN,
            ..d
        },
        RuleConfig {
            low_vol: 0.8,
            high_vol: 0.8,
            ..d
        },
        RuleConfig {
            crisis_drawdown: f64::NEG_INFINITY,
            ..d
        },
    ] {
        assert!(!ok(bad), "{bad:?}");
    }
}

/// Baum-Welch recovers a known two-state HMM from data it generated, its likelihood
/// never falls, and the exported blob runs in the core's filter.
#[test]
fn baum_welch_recovers_a_known_hmm() {
    use tickml_train::hmm::{assign_regimes, fit_hmm};
    // states: calm (mean 0, sd 0.5) and wild (mean 3, sd 1.5), sticky transitions
    let mut rng = tickml_train::rng::XorShift64::new(0x1234_5678);
    let mut uniform = move || rng.uniform();
    let normal = move |u: &mut dyn FnMut() -> f64| {
        (-2.0 * u().max(1e-300).ln()).sqrt() * (std::f64::consts::TAU * u()).cos()
    };
    let (mut s, mut x) = (0usize, Vec::new());
    for _ in 0..3000 {
        if uniform() < 0.02 {
            s = 1 - s;
        }
        let z = normal(&mut uniform);
        x.push(vec![if s == 0 { 0.5 * z } else { 3.0 + 1.5 * z }]);
    }
    let mut fit = fit_hmm(&x, &["logret_5".to_string()], 2, 100, 1e-8).unwrap();
    assert!(
        fit.log_likelihood.windows(2).all(|w| w[1] >= w[0] - 1e-6),
        "EM never loses likelihood"
    );
    let mut means: Vec<f64> = fit.spec.means.iter().map(|m| m[0]).collect();
    means.sort_by(f64::total_cmp);
    assert!(
        (means[0] - 0.0).abs() < 0.1 && (means[1] - 3.0).abs() < 0.2,
        "{means:?}"
    );
    assign_regimes(
        &mut fit.spec,
        0,
        &[RegimeType::BullTrend, RegimeType::Crisis],
    );
    let (hmm, _) = GaussianHmm::from_blob(&fit.spec.to_blob(0).unwrap()).unwrap();
    let mut la = None;
    hmm.forward_step(&mut la, Some(&[3.2]));
    let p = la.unwrap().map(f64::exp);
    let wild = (0..2)
        .find(|&i| hmm.regime_of(i) == Some(RegimeType::Crisis))
        .unwrap();
    assert!(p[wild] > 0.9, "{p:?}");
}
