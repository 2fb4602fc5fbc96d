//! Puts `memory.x` on the linker's path, turns the first `BARS` rows of
//! `../data/spx_daily.csv` into a const array (`$OUT_DIR/spx_bars.rs`): the bars the
//! firmware streams, the same text the host's `tickml stream` parses; and lays the
//! default bundle's trees out as `Pipeline::lay_out_trees` does on a host, written out as
//! a `static` (`$OUT_DIR/trees.rs`), so that the layout lives in flash.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Bars streamed: 200 warm up the default features, the rest are decided by every model.
const BARS: usize = 400;

/// Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../data/spx_daily.csv");
    let csv = std::fs::read_to_string("../data/spx_daily.csv").unwrap();
    let mut src = format!("/// The first {BARS} S&P 500 daily bars: (unix ns, open, high, low, close, volume).\npub const SPX: [(i64, f64, f64, f64, f64, f64); {BARS}] = [\n");
    for line in csv.lines().skip(1).take(BARS) {
        let f: Vec<&str> = line.split(',').collect();
        let (y, m, d) = (&f[0][0..4], &f[0][5..7], &f[0][8..10]);
        assert_eq!(&f[0][10..], "T00:00:00Z", "daily bars at midnight UTC");
        let days = days_from_civil(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap());
        let v: Vec<f64> = f[1..6].iter().map(|x| x.parse().unwrap()).collect();
        writeln!(
            src,
            "    ({}, {:?}, {:?}, {:?}, {:?}, {:?}),",
            days * 86_400_000_000_000,
            v[0],
            v[1],
            v[2],
            v[3],
            v[4]
        )
        .unwrap();
    }
    src.push_str("];\n");
    std::fs::write(out.join("spx_bars.rs"), src).unwrap();
    write_trees(&out.join("trees.rs"));
}

/// Writes the default bundle's laid-out trees as `static TREES: [ScorerRecord; N]`.
fn write_trees(path: &std::path::Path) {
    use tickml_core::model::ScorerRecord;
    use tickml_core::pipeline::Pipeline;
    let bundle_path = "../stream-cli/assets/default_bundle.tml";
    println!("cargo:rerun-if-changed={bundle_path}");
    let bundle = std::fs::read(bundle_path).unwrap();
    let pipeline = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let needed = pipeline.scorer_records_needed();
    let mut records = vec![ScorerRecord::ZERO; needed];
    pipeline.clone().lay_out_trees(&mut records).unwrap();
    let mut src = format!(
        "/// The default bundle's trees laid out (`Pipeline::lay_out_trees`), {needed} words.\n\
         static TREES: [ScorerRecord; {needed}] = [\n"
    );
    for r in &records {
        writeln!(src, "    ScorerRecord::from_bits({:#x}),", r.bits()).unwrap();
    }
    src.push_str("];\n");
    std::fs::write(path, src).unwrap();
}
