//! The `tickml` binary end to end: what a user types, what comes out.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn tickml(args: &[&str], stdin: Option<&str>) -> Output {
    common::run_tickml(args, stdin.unwrap_or("").as_bytes())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Imports the model fixture `fixture` (`lightgbm` or `xgboost` by `library`) into
/// `blob`, asserting that the import succeeds.
fn import(library: &str, fixture: &str, blob: &Path) {
    let model = repo(&format!("tests/fixtures/models/{fixture}"));
    let out = tickml(
        &[
            "import",
            library,
            model.to_str().unwrap(),
            "--out",
            blob.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn features_streams_one_row_per_bar() {
    let data = repo("data/spx_daily.csv");
    let out = tickml(&["features", "--input", data.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5032);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 111);
    assert_eq!(header[0], "timestamp");
    assert!(header.contains(&"rsi_14") && header.contains(&"vol_regime"));
    // first row: every rolling feature still warming up, calendar present
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first[0], "1999-01-04T00:00:00Z");
    let sma_5 = header.iter().position(|h| *h == "sma_5").unwrap();
    assert_eq!(first[sma_5], "");
    let month = header.iter().position(|h| *h == "month").unwrap();
    assert_eq!(first[month], "1");
}

#[test]
fn features_rows_do_not_depend_on_later_rows() {
    let full = std::fs::read_to_string(repo("data/goog_daily.csv")).unwrap();
    let head: String = full.lines().take(301).map(|l| format!("{l}\n")).collect();
    let a = tickml(&["features"], Some(&full));
    let b = tickml(&["features"], Some(&head));
    let a = text(&a.stdout);
    let b = text(&b.stdout);
    assert_eq!(
        a.lines().take(301).collect::<Vec<_>>(),
        b.lines().collect::<Vec<_>>()
    );
}

#[test]
fn features_names_the_bad_line() {
    let input = "timestamp,open,high,low,close,volume\n1,10,11,9,10,5\n2,10,9,11,10,5\n";
    let out = tickml(&["features"], Some(input));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 3: high is below low"),
        "{}",
        text(&out.stderr)
    );
    let input = "timestamp,open,high,low,close,volume\n2,10,11,9,10,5\n1,10,11,9,10,5\n";
    let out = tickml(&["features"], Some(input));
    assert!(
        text(&out.stderr).contains("line 3"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn import_predict_inspect_reproduce_lightgbm() {
    let dir = std::env::temp_dir().join(format!("tickml-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blob = dir.join("m.tml");
    import("lightgbm", "lgb_binary.txt", &blob);
    let rows = repo("tests/fixtures/models/lgb_binary.rows.csv");
    let out = tickml(
        &[
            "predict",
            "--model",
            blob.to_str().unwrap(),
            "--input",
            rows.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected =
        std::fs::read_to_string(repo("tests/fixtures/models/lgb_binary.pred.csv")).unwrap();
    let got = text(&out.stdout);
    assert_eq!(got.lines().count(), expected.lines().count());
    for (g, e) in got.lines().zip(expected.lines()) {
        let (g, e): (f64, f64) = (g.parse().unwrap(), e.parse().unwrap());
        assert!((g - e).abs() <= 1e-12 * e.abs(), "{g} vs {e}");
    }
    let out = tickml(&["inspect", blob.to_str().unwrap()], None);
    let report = text(&out.stdout);
    for expected in [
        "kind: TreeEnsemble",
        "(holds)",
        "trees: 30",
        "link: Sigmoid",
        "features (8): x0,",
    ] {
        assert!(report.contains(expected), "{expected} not in\n{report}");
    }
    // a damaged blob is reported, not trusted
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    let out = tickml(&["inspect", blob.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("CRC mismatch"),
        "{}",
        text(&out.stdout)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `tickml predict` scores rows in batches: across a batch boundary (4,096 rows) its
/// predictions are LightGBM's, and a bad cell stops it with the line named after the
/// predictions of every line before it.
#[test]
fn predict_batches_and_names_a_bad_line() {
    let dir = std::env::temp_dir().join(format!("tickml-cli-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blob = dir.join("m.tml");
    import("lightgbm", "lgb_binary.txt", &blob);
    let rows = std::fs::read_to_string(repo("tests/fixtures/models/lgb_binary.rows.csv")).unwrap();
    let expected =
        std::fs::read_to_string(repo("tests/fixtures/models/lgb_binary.pred.csv")).unwrap();
    let (header, body) = rows.split_once('\n').unwrap();
    let body: Vec<&str> = body.lines().collect();
    let expected: Vec<f64> = expected.lines().map(|l| l.parse().unwrap()).collect();
    // the fixture's rows repeated past one batch, then a bad cell
    let n = 4096 + 3;
    let mut input = format!("{header}\n");
    for i in 0..n {
        input.push_str(body[i % body.len()]);
        input.push('\n');
    }
    let bad_line = n + 2;
    input.push_str(&body[0].replacen(|c: char| c.is_ascii_digit(), "x", 1));
    input.push('\n');
    input.push_str(body[1]);
    input.push('\n');
    let out = tickml(
        &["predict", "--model", blob.to_str().unwrap()],
        Some(&input),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!("line {bad_line}:")),
        "{}",
        text(&out.stderr)
    );
    let got: Vec<f64> = text(&out.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(got.len(), n, "every line before the bad one is predicted");
    for (i, g) in got.iter().enumerate() {
        let e = expected[i % body.len()];
        assert!((g - e).abs() <= 1e-12 * e.abs(), "row {i}: {g} vs {e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn import_refuses_linear_trees() {
    let model = repo("tests/fixtures/models/lgb_linear_tree.txt");
    let out = tickml(
        &[
            "import",
            "lightgbm",
            model.to_str().unwrap(),
            "--out",
            "/dev/null",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("linear trees"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn predict_names_a_missing_column() {
    let dir = std::env::temp_dir().join(format!("tickml-cli-col-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blob = dir.join("x.tml");
    import("xgboost", "xgb_binary.json", &blob);
    let out = tickml(
        &["predict", "--model", blob.to_str().unwrap()],
        Some("x0,x1\n1,2\n"),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no column `x2`"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn regimes_prints_one_regime_per_bar() {
    let data = repo("data/spx_daily.csv");
    let out = tickml(&["regimes", "--input", data.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("timestamp,regime,regime_confidence"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 5031);
    let oct_2008 = rows
        .iter()
        .find(|r| r[0] == "2008-10-15T00:00:00Z")
        .unwrap();
    assert!(
        oct_2008[1] == "crisis" || oct_2008[1] == "high_volatility",
        "{oct_2008:?}"
    );
    assert!(rows
        .iter()
        .all(|r| (0.0..=1.0).contains(&r[2].parse::<f64>().unwrap())));
}

#[test]
fn cv_splits_prints_json_and_draws() {
    let svg = std::env::temp_dir().join(format!("tickml-cv-{}.svg", std::process::id()));
    let out = tickml(
        &[
            "cv-splits",
            "--scheme",
            "cpcv",
            "--n-samples",
            "100",
            "--n-splits",
            "5",
            "--n-test-splits",
            "2",
            "--purge",
            "2",
            "--embargo",
            "3",
            "--plot",
            svg.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["splits"].as_array().unwrap().len(), 10);
    assert_eq!(v["paths"].as_array().unwrap().len(), 4);
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    std::fs::remove_file(&svg).ok();
    let out = tickml(
        &[
            "cv-splits",
            "--scheme",
            "purged",
            "--n-samples",
            "50",
            "--horizon",
            "5",
            "--embargo-pct",
            "0.02",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("paths").is_none());
    assert_eq!(v["splits"].as_array().unwrap().len(), 5);
}

#[test]
fn fdr_adjusts_in_input_order_and_names_bad_lines() {
    let out = tickml(
        &["fdr", "--method", "holm", "--alpha", "0.05"],
        Some("0.04\n0.001\n0.03\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Holm: sorted 0.001*3=0.003, 0.03*2=0.06, 0.04*1 -> max-accumulated 0.06
    assert_eq!(
        text(&out.stdout),
        "p,adjusted,rejected\n0.04,0.06,false\n0.001,0.003,true\n0.03,0.06,false\n"
    );
    // a NaN p-value is not a test: left out of m, and said so
    let out = tickml(&["fdr", "--method", "bh"], Some("0.01\nnan\n0.04\n"));
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "p,adjusted,rejected\n0.01,0.02,true\nNaN,NaN,false\n0.04,0.04,true\n"
    );
    assert!(
        text(&out.stderr).contains("3 p-values, m = 2 tests (1 NaN p-values left out of m)"),
        "{}",
        text(&out.stderr)
    );
    let out = tickml(&["fdr"], Some("0.1\nzero\n"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn train_writes_blobs_and_a_report_and_ablate_prints_every_family() {
    let dir = std::env::temp_dir().join(format!("tickml-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("train.toml");
    std::fs::write(&config, "models = [\"gradient_boosting\", \"logistic_regression\"]\nhorizon = 5\n[model]\nn_estimators = 10\nmax_depth = 3\n[cv]\nscheme = \"purged\"\nn_splits = 3\npurge_gap = 0\nembargo_pct = 0.01\n").unwrap();
    let data = repo("data/goog_daily.csv");
    let out = tickml(
        &[
            "train",
            "--input",
            data.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("gradient_boosting") && stdout.contains("roc_auc"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["models"].as_array().unwrap().len(), 2);
    assert_eq!(report["splits"], 3);
    let blob = std::fs::read(dir.join("gradient_boosting.tml")).unwrap();
    let model = tickml_core::model::Model::from_blob(&blob).unwrap();
    assert_eq!(
        model.feature_count(),
        report["features"].as_u64().unwrap() as usize
    );
    assert_eq!(
        format!("{:#018x}", model.schema_hash()),
        report["schema_hash"].as_str().unwrap()
    );
    let out = tickml(
        &[
            "ablate",
            "--input",
            data.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for family in [
        "trend",
        "momentum",
        "volatility",
        "volume",
        "mean_reversion",
        "cross_sectional",
        "seasonality",
        "regime",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(family)),
            "{family} missing in\n{table}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn jsonl(bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every output line equals what `Pipeline::on_bar` returns in-process, and the output
/// is byte-identical from run to run.
#[test]
fn stream_equals_the_in_process_pipeline_and_is_reproducible() {
    let input = std::fs::read_to_string(repo("data/goog_daily.csv")).unwrap();
    let a = tickml(&["stream"], Some(&input));
    assert!(a.status.success(), "{}", text(&a.stderr));
    let b = tickml(&["stream"], Some(&input));
    assert_eq!(a.stdout, b.stdout, "same bundle, same input, same bytes");
    let lines = jsonl(&a.stdout);
    let bundle = std::fs::read(repo("stream-cli/assets/default_bundle.tml")).unwrap();
    let mut pipeline = tickml_core::pipeline::Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let bars = tickml_train::data::load_bars(repo("data/goog_daily.csv")).unwrap();
    assert_eq!(lines.len(), bars.len());
    let names: Vec<String> = pipeline
        .model_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (line, record) in lines.iter().zip(&bars) {
        let d = pipeline.on_bar(&record.bar).unwrap();
        assert_eq!(line["timestamp"], record.timestamp_text.as_str());
        for (name, p) in names.iter().zip(&d.predictions) {
            assert_eq!(
                line["predictions"][name].as_f64(),
                p.is_finite().then_some(*p),
                "{name}"
            );
        }
        let a = &d.arbitration;
        assert_eq!(line["signal"], a.signal.name());
        assert_eq!(line["confidence"].as_f64().unwrap(), a.confidence);
        assert_eq!(line["weighted_signal"].as_f64().unwrap(), a.weighted_signal);
        assert_eq!(line["signal_strength"].as_f64().unwrap(), a.signal_strength);
        assert_eq!(line["meta_signal"].as_f64(), a.meta_signal);
        assert_eq!(line["weighted_sum"].as_f64().unwrap(), a.weighted_sum);
        assert_eq!(line["consensus_ratio"].as_f64().unwrap(), a.consensus_ratio);
        assert_eq!(
            line["n_active_strategies"].as_u64().unwrap() as usize,
            a.n_active_strategies
        );
        assert_eq!(line["regime"], a.regime.name());
        assert_eq!(
            line["strategy_breakdown"].as_array().unwrap().len(),
            a.strategy_breakdown.len()
        );
    }
}

/// The decision explains itself: the contributions add up to `weighted_sum`, the field
/// named by `signal_source` is `weighted_signal`, and the confidence formula holds from
/// the output alone (0.4 strength + 0.2 mean confidence of the active strategies + 0.2
/// consensus + 0.2 regime confidence). On 2018-11-13 the weighted sum and the
/// meta-learner disagree in sign, and both are shown.
#[test]
fn stream_decisions_explain_themselves() {
    let out = tickml(
        &[
            "stream",
            "--input",
            repo("data/spx_daily.csv").to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut disagreements = 0;
    for line in jsonl(&out.stdout) {
        let f = |k: &str| line[k].as_f64().unwrap();
        let breakdown = line["strategy_breakdown"].as_array().unwrap();
        let active: Vec<&serde_json::Value> = breakdown
            .iter()
            .filter(|b| b["active"].as_bool().unwrap())
            .collect();
        let sum: f64 = breakdown
            .iter()
            .map(|b| b["contribution"].as_f64().unwrap())
            .sum();
        assert!((sum - f("weighted_sum")).abs() < 1e-12, "{line}");
        for b in &active {
            let sign = match b["signal"].as_str().unwrap() {
                "long" => 1.0,
                "short" => -1.0,
                _ => 0.0,
            };
            let expected = b["weight"].as_f64().unwrap() * sign * b["confidence"].as_f64().unwrap();
            assert!((b["contribution"].as_f64().unwrap() - expected).abs() < 1e-15);
        }
        assert_eq!(
            line["signal_source"], "meta_learner",
            "the default bundle has one"
        );
        if active.is_empty() {
            assert_eq!(f("weighted_signal"), 0.0);
            continue;
        }
        assert_eq!(f("weighted_signal"), f("meta_signal"));
        if f("weighted_signal") * f("weighted_sum") < 0.0 {
            disagreements += 1;
        }
        let n = active.len() as f64;
        let mean_confidence: f64 = active
            .iter()
            .map(|b| b["confidence"].as_f64().unwrap())
            .sum::<f64>()
            / n;
        let consensus = active
            .iter()
            .filter(|b| b["signal"] == line["signal"])
            .count() as f64
            / n;
        let confidence = (0.4 * f("weighted_signal").abs()
            + 0.2 * mean_confidence
            + 0.2 * consensus
            + 0.2 * f("regime_confidence"))
        .clamp(0.0, 1.0);
        assert!((f("confidence") - confidence).abs() < 1e-12, "{line}");
        assert!((f("consensus_ratio") - consensus).abs() < 1e-15);
    }
    assert!(disagreements > 0, "the two fields are not redundant");
}

/// The design's strategy summary on stderr: every `--summary-every` bars and at the end,
/// one row per strategy, and its final weights are the last decision's.
#[test]
fn stream_prints_the_strategy_summary() {
    let path = repo("data/goog_daily.csv");
    let out = tickml(
        &[
            "stream",
            "--input",
            path.to_str().unwrap(),
            "--summary-every",
            "1000",
        ],
        None,
    );
    assert!(out.status.success());
    let err = text(&out.stderr);
    for n in ["1000", "2000", "2148"] {
        assert!(
            err.contains(&format!("strategy summary after {n} bars")),
            "{err}"
        );
    }
    let last = jsonl(&out.stdout).pop().unwrap();
    let tail = err.rsplit("after 2148 bars").next().unwrap();
    for (row, b) in tail
        .lines()
        .skip(2)
        .take(3)
        .zip(last["strategy_breakdown"].as_array().unwrap())
    {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1], b["name"].as_str().unwrap(), "{row}");
        assert_eq!(cells[2], "ml_model");
        let weight: f64 = cells[3].parse().unwrap();
        assert!(
            (weight - b["weight"].as_f64().unwrap()).abs() < 1e-4,
            "{row}"
        );
        assert_eq!(cells[6], b["silenced"].to_string());
        assert_eq!(cells[10], b["signal"].as_str().unwrap());
    }
}

/// A header without a required column is not a bad line: the run stops with a non-zero
/// exit in every mode, naming the column.
#[test]
fn stream_refuses_a_bad_header_in_every_mode() {
    let input = "timestamp,open,high,low,volume\n1999-01-04T00:00:00Z,1,2,0.5,10\n";
    for mode in ["skip", "fail"] {
        let out = tickml(&["stream", "--on-error", mode], Some(input));
        assert!(!out.status.success(), "{mode}");
        let err = text(&out.stderr);
        assert!(
            err.contains("line 1: bad header: no `close` column"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn stream_reports_bad_lines_and_keeps_every_good_one() {
    let good: Vec<String> = std::fs::read_to_string(repo("data/spx_daily.csv"))
        .unwrap()
        .lines()
        .take(40)
        .map(str::to_string)
        .collect();
    let mut input = good[..20].join("\n");
    input.push_str("\nnot-a-time,1,2,0.5,1,10\n1999-02-10T00:00:00Z,10,9,11,10,5\n1999-01-05T00:00:00Z,1,2,0.5,1,10\n");
    input.push_str(&good[20..].join("\n"));
    let out = tickml(&["stream", "--format", "csv"], Some(&input));
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("line 21: timestamp")
            && err.contains("line 22: high is below low")
            && err.contains("line 23:"),
        "{err}"
    );
    assert!(
        err.contains("39 records read, 39 decisions, 3 lines skipped")
            || err.contains("3 lines skipped"),
        "{err}"
    );
    assert_eq!(
        text(&out.stdout).lines().count(),
        1 + 39,
        "header + one line per good bar"
    );
    let out = tickml(&["stream", "--on-error", "fail"], Some(&input));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("stopped at line 21"));
}

/// Written to a file, where lines go out in batches, the output is the bytes a pipe
/// gets line by line: across many batches, and when `--on-error fail` stops the run
/// with decisions still in its batch.
#[test]
fn stream_to_a_file_writes_what_a_pipe_gets() {
    let spx = std::fs::read_to_string(repo("data/spx_daily.csv")).unwrap();
    let lines: Vec<&str> = spx.lines().collect();
    let mut bad = lines[..300].join("\n");
    bad.push_str("\nnot-a-time,1,2,0.5,1,10\n");
    bad.push_str(&lines[300..2400].join("\n"));
    let path = std::env::temp_dir().join(format!("tickml-stream-file-{}", std::process::id()));
    for (input, args) in [
        (spx.as_str(), &["stream"][..]),
        (spx.as_str(), &["stream", "--format", "csv"][..]),
        (bad.as_str(), &["stream", "--on-error", "fail"][..]),
        (bad.as_str(), &["stream", "--format", "csv"][..]),
    ] {
        let piped = tickml(args, Some(input));
        let file = std::fs::File::create(&path).unwrap();
        let status = common::run_tickml_into(args, input.as_bytes(), file.into()).status;
        assert_eq!(status.success(), piped.status.success(), "{args:?}");
        let written = std::fs::read(&path).unwrap();
        // more than one batch of the stream's 256 KiB
        assert!(
            written.len() > 1 << 18,
            "{args:?}: {} bytes, one batch",
            written.len()
        );
        assert!(
            written == piped.stdout,
            "{args:?}: the file differs from the pipe"
        );
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn stream_ends_quietly_when_the_reader_goes_away() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickml"))
        .args([
            "stream",
            "--input",
            repo("data/spx_daily.csv").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("{\"timestamp\""));
    // the reader is dropped here, like `| head -1`
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    let _ = std::io::stdout().flush();
}

#[test]
fn stream_keeps_one_state_per_symbol_and_aggregates_trades() {
    let spx: Vec<String> = std::fs::read_to_string(repo("data/spx_daily.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .take(60)
        .map(str::to_string)
        .collect();
    let goog: Vec<String> = std::fs::read_to_string(repo("data/goog_daily.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .take(60)
        .map(str::to_string)
        .collect();
    let mut mixed = String::from("timestamp,open,high,low,close,volume,symbol\n");
    for (a, b) in spx.iter().zip(&goog) {
        mixed.push_str(&format!("{a},SPX\n{b},GOOG\n"));
    }
    let out = jsonl(&tickml(&["stream"], Some(&mixed)).stdout);
    let alone = jsonl(
        &tickml(
            &["stream"],
            Some(&format!(
                "timestamp,open,high,low,close,volume\n{}\n",
                goog.join("\n")
            )),
        )
        .stdout,
    );
    let goog_lines: Vec<_> = out.iter().filter(|l| l["symbol"] == "GOOG").collect();
    assert_eq!(goog_lines.len(), 60);
    for (m, a) in goog_lines.iter().zip(&alone) {
        assert_eq!(m["weighted_signal"], a["weighted_signal"]);
        assert_eq!(m["predictions"], a["predictions"]);
    }
    // 10 trades in 3 one-minute buckets -> 3 bars; tick:4 -> 2 full bars
    let trades = "timestamp,price,size\n0,10,1\n10,11,2\n59,9,1\n60,10,1\n61,10.5,1\n130,10,3\n131,10.2,1\n150,10.1,1\n170,10,1\n179,9.9,1\n";
    let out = tickml(
        &["stream", "--bars", "time:1m", "--format", "csv"],
        Some(trades),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<String> = text(&out.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].starts_with("1970-01-01T00:01:00Z"));
    let out = tickml(
        &["stream", "--bars", "tick:4", "--format", "csv"],
        Some(trades),
    );
    assert_eq!(text(&out.stdout).lines().count(), 1 + 2);
}

/// The embedded default bundle is what the README's command produces.
#[test]
fn the_embedded_bundle_is_reproducible() {
    let dir = std::env::temp_dir().join(format!("tickml-bundle-{}", std::process::id()));
    let bundle = dir.join("bundle.tml");
    let data = repo("data/spx_daily.csv");
    let out = tickml(
        &[
            "train",
            "--input",
            data.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let made = std::fs::read(&bundle).unwrap();
    let embedded = std::fs::read(repo("stream-cli/assets/default_bundle.tml")).unwrap();
    assert!(
        made == embedded,
        "the committed bundle differs from a fresh training run ({} vs {} bytes)",
        made.len(),
        embedded.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// With a symbol column, each symbol is ranked against the symbols already seen at the
/// same timestamp (decisions are not held back for later symbols).
#[test]
fn stream_ranks_symbols_within_a_timestamp() {
    let rows = [
        "1,10,11,9,10,5,A",
        "1,20,21,19,20,5,B",
        "2,10,11,9,10.5,5,A",
        "2,20,21,19,19,5,B",
    ];
    let header = "timestamp,open,high,low,close,volume,symbol\n";
    let run = |order: [usize; 4]| {
        let input = format!("{header}{}\n", order.map(|i| rows[i]).join("\n"));
        jsonl(&tickml(&["stream", "--emit-features"], Some(&input)).stdout)
    };
    let (straight, swapped) = (run([0, 1, 2, 3]), run([1, 0, 3, 2]));
    assert_eq!(
        straight[0]["features"]["xs_rank"],
        serde_json::Value::Null,
        "no return on the first bar"
    );
    // A (+4.9%) above B (-5.1%) at timestamp 2, whichever row comes first
    let xs = |lines: &[serde_json::Value], symbol: &str| {
        let l = lines.iter().rfind(|l| l["symbol"] == symbol).unwrap();
        (
            l["features"]["xs_rank"].as_f64(),
            l["features"]["xs_pct"].as_f64(),
        )
    };
    for lines in [&straight, &swapped] {
        assert_eq!(xs(lines, "A"), (Some(2.0), Some(1.0)));
        assert_eq!(xs(lines, "B"), (Some(1.0), Some(0.0)));
    }
    // output in input order
    assert_eq!(swapped[2]["symbol"], "B");
}

fn fixture(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(repo(name)).unwrap()).unwrap()
}

#[test]
fn stats_and_pbo_print_the_reference_figures() {
    let reference = fixture("tests/fixtures/backtest_reference.json");
    let case = &reference["sharpe"][1];
    let returns: Vec<String> = case["returns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let out = tickml(
        &[
            "stats",
            "--returns",
            "-",
            "--trials",
            &case["trials"].to_string(),
            "--trials-sharpe-var",
            &case["variance"].to_string(),
        ],
        Some(&returns.join("\n")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (ours, theirs) in [
        ("sharpe", "sharpe"),
        ("sharpe_se", "se"),
        ("skew", "skew"),
        ("kurtosis", "kurtosis"),
        ("psr", "psr0"),
        ("dsr", "dsr"),
    ] {
        let (a, b) = (got[ours].as_f64().unwrap(), case[theirs].as_f64().unwrap());
        assert!(
            (a - b).abs() <= 1e-10 * b.abs().max(1.0),
            "{ours}: {a} vs {b}"
        );
    }
    let bad = tickml(&["stats", "--returns", "-"], Some("0.01\nabc\n0.02\n"));
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("line 2"),
        "{}",
        text(&bad.stderr)
    );

    let m = &reference["pbo"][0];
    let rows = m["matrix"].as_array().unwrap();
    let width = rows[0].as_array().unwrap().len();
    let mut csv: Vec<String> = vec![(0..width)
        .map(|c| format!("c{c}"))
        .collect::<Vec<_>>()
        .join(",")];
    csv.extend(rows.iter().map(|r| {
        r.as_array()
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }));
    let splits = m["splits"].to_string();
    let out = tickml(
        &["pbo", "--input", "-", "--splits", &splits],
        Some(&csv.join("\n")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["pbo"], m["pbo"]);
    assert_eq!(
        got["logits"].as_array().unwrap().len(),
        m["logits"].as_array().unwrap().len()
    );
    let short_row = format!("{}\n0.1,0.2\n", csv[0]);
    let bad = tickml(&["pbo", "--input", "-", "--splits", "2"], Some(&short_row));
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("line 2"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn backtest_writes_its_report_and_counts_its_trials_once() {
    let dir = std::env::temp_dir().join(format!("tickml-bt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let all = std::fs::read_to_string(repo("data/spx_daily.csv")).unwrap();
    let input = dir.join("bars.csv");
    std::fs::write(
        &input,
        all.lines().take(820).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let config = dir.join("train.toml");
    std::fs::write(
        &config,
        "models = [\"logistic_regression\"]\n[cv]\nscheme = \"purged\"\nn_splits = 3\npurge_gap = 5\nembargo_pct = 0.02\n",
    )
    .unwrap();
    let out_dir = dir.join("bt");
    let args = [
        "backtest",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--train-size",
        "250",
        "--retrain-every",
        "60",
        "--pbo-splits",
        "4",
        "--cpcv-splits",
        "0",
        "--cost-bps",
        "2",
    ];
    let out = tickml(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for name in [
        "buy_and_hold",
        "model:logistic_regression",
        "equal_weights",
        "arbitrator_meta",
        "PBO",
    ] {
        assert!(table.contains(name), "{name} missing:\n{table}");
    }
    let report = fixture(out_dir.join("report.json").to_str().unwrap());
    let bt = &report["backtest"];
    assert_eq!(report["config"]["cost_bps"], 2.0);
    assert_eq!(report["config"]["grid"].as_array().unwrap().len(), 5);
    // one self-contained page: inline SVG, nothing fetched
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("buy_and_hold"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    let rows = bt["rows"].as_array().unwrap();
    assert_eq!(
        rows.len() + bt["first_bar"].as_u64().unwrap() as usize,
        819,
        "every bar after the first window is decided"
    );
    // timestamps as written in the input
    let first = bt["first_bar"].as_u64().unwrap() as usize;
    let line = all.lines().nth(first + 1).unwrap();
    assert_eq!(rows[0]["timestamp"], line.split(',').next().unwrap());
    for key in [
        "position", "gross", "cost", "net", "equity", "regime", "weights",
    ] {
        assert!(rows[5].get(key).is_some(), "{key}");
    }
    let trials = |dir: &std::path::Path| {
        std::fs::read_to_string(dir.join("trials.jsonl"))
            .unwrap()
            .lines()
            .count()
    };
    // the grid: one model alone, three arbitrators, the meta-learner
    assert_eq!(trials(&out_dir), 5);
    assert_eq!(report["trials"]["count"], 5);
    // the same run again: appended to the log, counted once
    let again = tickml(&args, None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(trials(&out_dir), 10);
    let report = fixture(out_dir.join("report.json").to_str().unwrap());
    assert_eq!(report["trials"]["count"], 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Research and deployment on the same bars: a bundle trained on trades with a bar rule
/// carries it, `tickml stream` builds the same bars from the same trades (one decision
/// per bar `tickml bars` prints), refuses another rule, and `tickml features` takes the
/// trades too.
#[test]
fn a_model_researched_on_trade_bars_streams_on_them() {
    let dir = std::env::temp_dir().join(format!("tickml-trades-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("timestamp,price,size,side\n");
    let (mut state, mut price) = (0x2545_F491_4F6C_DD1Du64, 100.0f64);
    for i in 0..24_000u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        price = (price * (1.0 + 0.002 * (u - 0.5))).max(1.0);
        let side = ["", "buy", "sell"][(state % 3) as usize];
        csv.push_str(&format!(
            "{},{price:.4},{},{side}\n",
            1_600_000_000 + i * 7,
            1 + state % 50
        ));
    }
    let trades = dir.join("trades.csv");
    std::fs::write(&trades, csv).unwrap();
    let config = dir.join("train.toml");
    std::fs::write(
        &config,
        "models = [\"logistic_regression\"]\n[cv]\nscheme = \"purged\"\nn_splits = 3\npurge_gap = 5\nembargo_pct = 0.02\n",
    )
    .unwrap();
    let bundle = dir.join("bundle.tml");
    let (t, b) = (trades.to_str().unwrap(), bundle.to_str().unwrap());
    let out = tickml(
        &[
            "train",
            "--input",
            t,
            "--bars",
            "tick:20",
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.join("models").to_str().unwrap(),
            "--bundle",
            b,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bars = tickml(&["bars", "--input", t, "--bars", "tick:20"], None);
    assert!(bars.status.success(), "{}", text(&bars.stderr));
    let bar_rows: Vec<String> = text(&bars.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(bar_rows.len(), 1200);
    let streamed = tickml(
        &["stream", "--bundle", b, "--input", t, "--format", "csv"],
        None,
    );
    assert!(streamed.status.success(), "{}", text(&streamed.stderr));
    let lines: Vec<String> = text(&streamed.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), bar_rows.len());
    for (l, r) in lines.iter().zip(&bar_rows) {
        assert_eq!(
            l.split(',').next(),
            r.split(',').next(),
            "same bar timestamps"
        );
    }
    let other = tickml(
        &["stream", "--bundle", b, "--input", t, "--bars", "tick:30"],
        None,
    );
    assert!(!other.status.success());
    assert!(
        text(&other.stderr).contains("builds its own bars"),
        "{}",
        text(&other.stderr)
    );
    let features = tickml(&["features", "--input", t, "--bars", "tick:20"], None);
    assert!(features.status.success(), "{}", text(&features.stderr));
    assert_eq!(text(&features.stdout).lines().count(), 1 + 1200);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Live cross-sections mean what research computes: a universe file streamed with its
/// rows shuffled within each timestamp gives the same decisions as in order, and the
/// cross-sectional features of every research sample (`prepare_panel`).
#[test]
fn universe_decisions_do_not_depend_on_row_order_and_equal_research() {
    let file = std::fs::read_to_string(repo("data/spx_goog_daily.csv")).unwrap();
    let mut lines: Vec<&str> = file.lines().collect();
    let header = lines.remove(0);
    let mut shuffled = lines.clone();
    for (k, pair) in shuffled.chunks_mut(2).enumerate() {
        if k % 3 != 0 {
            pair.swap(0, 1);
        }
    }
    let run = |rows: &[&str], extra: &[&str]| {
        let mut args = vec!["stream", "--emit-features"];
        args.extend_from_slice(extra);
        let out = tickml(&args, Some(&format!("{header}\n{}\n", rows.join("\n"))));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut v = jsonl(&out.stdout);
        v.sort_by_key(|l| {
            (
                l["timestamp"].as_str().unwrap().to_string(),
                l["symbol"].as_str().unwrap().to_string(),
            )
        });
        v
    };
    let (a, mut b) = (
        run(&lines, &[]),
        run(&shuffled, &["--universe", "GOOG,SPX"]),
    );
    assert_eq!(a.len(), lines.len());
    // with a declared universe each line says how many members its timestamp had
    for line in &mut b {
        let said = line
            .as_object_mut()
            .unwrap()
            .remove("cross_section")
            .unwrap();
        assert_eq!(said, serde_json::json!({"members": 2, "universe": 2}));
    }
    assert_eq!(a, b);
    // a member missing at a timestamp: decided without it, and the lines say so
    let partial = run(&lines[..6], &["--universe", "GOOG,SPX,AAPL"]);
    assert!(partial
        .iter()
        .all(|l| l["cross_section"] == serde_json::json!({"members": 2, "universe": 3})));
    let records = tickml_train::data::load_bars(repo("data/spx_goog_daily.csv")).unwrap();
    let data = tickml_train::dataset::prepare_panel(
        &records,
        &tickml_core::FeatureConfig::default(),
        &tickml_train::dataset::InputConfig::default(),
        tickml_train::dataset::TargetType::Direction,
        5,
    )
    .unwrap();
    let rank = data.names.iter().position(|n| n == "xs_rank").unwrap();
    let pct = data.names.iter().position(|n| n == "xs_pct").unwrap();
    let mut checked = 0;
    for k in 0..data.len() {
        let symbol = &data.symbol_names[data.symbol[k] as usize];
        let ts = tickml_train::data::format_timestamp(data.timestamps[k]);
        let live = a
            .iter()
            .find(|l| l["timestamp"] == ts.as_str() && l["symbol"] == symbol.as_str())
            .unwrap();
        assert_eq!(
            live["features"]["xs_rank"].as_f64(),
            Some(data.row(k)[rank]),
            "{symbol} {ts}"
        );
        assert_eq!(
            live["features"]["xs_pct"].as_f64(),
            Some(data.row(k)[pct]),
            "{symbol} {ts}"
        );
        checked += 1;
    }
    assert!(checked > 3800);
}

/// A bundle trained on a universe declares it: `tickml stream` decides a timestamp's
/// members together without `--universe`, refuses another universe and a symbol outside
/// it, and with the extended cross-section every streamed cross-sectional feature equals
/// research's on every sample, rows shuffled within timestamps or not.
#[test]
fn a_universe_bundle_streams_what_research_computed() {
    let dir = std::env::temp_dir().join(format!("tickml-universe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = repo("data/spx_goog_daily.csv");
    let bundle = common::train_universe_bundle(&dir, &input);
    let file = std::fs::read_to_string(&input).unwrap();
    let mut lines: Vec<&str> = file.lines().collect();
    let header = lines.remove(0);
    let mut shuffled = lines.clone();
    for (k, pair) in shuffled.chunks_mut(2).enumerate() {
        if k % 3 != 0 {
            pair.swap(0, 1);
        }
    }
    let b = bundle.to_str().unwrap();
    let stream = |rows: &[&str], extra: &[&str]| {
        let mut args = vec!["stream", "--emit-features", "--bundle", b];
        args.extend_from_slice(extra);
        tickml(&args, Some(&format!("{header}\n{}\n", rows.join("\n"))))
    };
    let sorted = |out: &Output| {
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut v = jsonl(&out.stdout);
        v.sort_by_key(|l| {
            (
                l["timestamp"].as_str().unwrap().to_string(),
                l["symbol"].as_str().unwrap().to_string(),
            )
        });
        v
    };
    let (a, s) = (stream(&lines, &[]), stream(&shuffled, &[]));
    assert!(
        text(&a.stderr).contains("0 cross-sections decided without every member"),
        "{}",
        text(&a.stderr)
    );
    let (a, s) = (sorted(&a), sorted(&s));
    assert_eq!(a.len(), lines.len());
    assert_eq!(a, s);
    let other = stream(&lines[..4], &["--universe", "SPX,AAPL"]);
    assert!(!other.status.success());
    assert!(text(&other.stderr).contains("declares its universe"));
    let mut fields: Vec<&str> = lines[2].split(',').collect();
    fields[1] = "AAPL";
    let stranger = fields.join(",");
    let with_stranger = [lines[0], lines[1], stranger.as_str()];
    let out = stream(&with_stranger, &[]);
    assert!(
        text(&out.stderr).contains("not in the universe"),
        "{}",
        text(&out.stderr)
    );
    let records = tickml_train::data::load_bars(&input).unwrap();
    let features = tickml_core::FeatureConfig {
        cross_section: tickml_core::features::CrossSection::Extended,
        ..tickml_core::FeatureConfig::default()
    };
    let data = tickml_train::dataset::prepare_panel(
        &records,
        &features,
        &tickml_train::dataset::InputConfig::default(),
        tickml_train::dataset::TargetType::Direction,
        5,
    )
    .unwrap();
    let names = [
        "xs_rank",
        "xs_pct",
        "xs_demeaned",
        "xs_zscore",
        "xs_rvol_rank_20",
        "xs_volume_ratio_rank_20",
    ];
    let columns: Vec<usize> = names
        .iter()
        .map(|n| data.names.iter().position(|m| m == n).unwrap())
        .collect();
    let by_key: std::collections::HashMap<(String, String), &serde_json::Value> = a
        .iter()
        .map(|l| {
            let key = (
                l["timestamp"].as_str().unwrap().to_string(),
                l["symbol"].as_str().unwrap().to_string(),
            );
            (key, l)
        })
        .collect();
    for k in 0..data.len() {
        let symbol = data.symbol_names[data.symbol[k] as usize].clone();
        let ts = tickml_train::data::format_timestamp(data.timestamps[k]);
        let live = by_key[&(ts.clone(), symbol.clone())];
        for (name, &c) in names.iter().zip(&columns) {
            assert_eq!(
                live["features"][*name].as_f64(),
                Some(data.row(k)[c]),
                "{name} of {symbol} at {ts}"
            );
        }
    }
    assert!(data.len() > 3800);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `tickml backtest` on a multi-symbol file runs the portfolio backtest: the universe
/// line, every configuration beside equal-weight buy and hold, per-timestamp holdings
/// in the report (a long-short book: gross 1 or flat), and the HTML page.
#[test]
fn backtest_of_a_universe_is_a_portfolio_beside_equal_weight_buy_and_hold() {
    let dir = std::env::temp_dir().join(format!("tickml-bt-universe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let all = std::fs::read_to_string(repo("data/spx_goog_daily.csv")).unwrap();
    let input = dir.join("pair.csv");
    std::fs::write(
        &input,
        all.lines().take(1 + 2 * 650).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let config = dir.join("train.toml");
    std::fs::write(&config, "models = [\"logistic_regression\"]\n").unwrap();
    let out_dir = dir.join("bt");
    let out = tickml(
        &[
            "backtest",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--train-size",
            "250",
            "--retrain-every",
            "60",
            "--pbo-splits",
            "4",
            "--cpcv-splits",
            "0",
            "--portfolio",
            "long_short",
            "--quantile",
            "0.5",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("universe of 2 symbols (GOOG,SPX)"),
        "{table}"
    );
    for name in [
        "buy_and_hold",
        "model:logistic_regression",
        "arbitrator_meta",
        "PBO",
    ] {
        assert!(table.contains(name), "{name} missing:\n{table}");
    }
    let report = fixture(out_dir.join("report.json").to_str().unwrap());
    let bt = &report["backtest"];
    assert_eq!(bt["symbols"], serde_json::json!(["GOOG", "SPX"]));
    let rows = bt["rows"].as_array().unwrap();
    assert_eq!(
        rows.len() + bt["first_bar"].as_u64().unwrap() as usize,
        650,
        "every timestamp after the first window is decided"
    );
    let mut long_short = 0;
    for r in rows {
        let h: Vec<f64> = r["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let gross: f64 = h.iter().map(|w| w.abs()).sum();
        assert!(gross == 0.0 || (gross - 1.0).abs() < 1e-12, "{h:?}");
        long_short += usize::from(gross > 0.0);
    }
    assert!(
        long_short > rows.len() / 2,
        "{long_short} of {}",
        rows.len()
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("buy_and_hold"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `tickml features` and `tickml regimes` take a universe file: one row per record with
/// its symbol, each timestamp's members ranked against each other, whatever their
/// order within the timestamp; a timestamp going back names its line.
#[test]
fn features_and_regimes_take_a_universe() {
    let file = std::fs::read_to_string(repo("data/spx_goog_daily.csv")).unwrap();
    let mut lines: Vec<&str> = file.lines().collect();
    let header = lines.remove(0);
    let lines = &lines[..600];
    let mut shuffled = lines.to_vec();
    for pair in shuffled.chunks_mut(2).step_by(2) {
        pair.swap(0, 1);
    }
    let run = |cmd: &str, rows: &[&str]| {
        let out = tickml(
            &[cmd, "--input", "-"],
            Some(&format!("{header}\n{}\n", rows.join("\n"))),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let text = text(&out.stdout);
        let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
        let head = rows.remove(0);
        rows.sort();
        (head, rows)
    };
    let (head, a) = run("features", lines);
    assert!(head.starts_with("timestamp,symbol,sma_5,"), "{head}");
    assert_eq!(a.len(), 600);
    assert_eq!(run("features", &shuffled).1, a);
    let pct = head.split(',').position(|c| c == "xs_pct").unwrap();
    let last: Vec<&str> = a[a.len() - 2..]
        .iter()
        .map(|r| r.split(',').nth(pct).unwrap())
        .collect();
    let mut last = last.clone();
    last.sort();
    assert!(last == ["0", "1"] || last == ["0", "0"], "{last:?}");
    let (head, r) = run("regimes", lines);
    assert_eq!(head, "timestamp,symbol,regime,regime_confidence");
    assert_eq!(r.len(), 600);
    assert_eq!(run("regimes", &shuffled).1, r);
    let back = [lines[2], lines[3], lines[0]];
    let out = tickml(
        &["features", "--input", "-"],
        Some(&format!("{header}\n{}\n", back.join("\n"))),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 4"),
        "{}",
        text(&out.stderr)
    );
}

/// `tickml codegen` prints a tree blob as Rust source (compiled and checked against the
/// blob in tests/codegen.rs) and refuses another kind of blob with a message.
#[test]
fn codegen_prints_rust_for_trees_and_refuses_linear_models() {
    let dir = std::env::temp_dir().join(format!("tickml-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blob = dir.join("lgb.tml");
    import("lightgbm", "lgb_binary.txt", &blob);
    let out = tickml(&["codegen", blob.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let source = text(&out.stdout);
    assert!(
        source.contains("pub fn predict(x: &[f64; 8]) -> [f64; 1]"),
        "{source}"
    );
    assert_eq!(source.matches("\nfn tree_").count(), 30);
    let linear = tickml(
        &[
            "codegen",
            repo("stream-cli/assets/default_bundle.tml")
                .to_str()
                .unwrap(),
        ],
        None,
    );
    assert!(!linear.status.success());
    assert!(
        text(&linear.stderr).contains("unexpected blob kind 4"),
        "{}",
        text(&linear.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
