//! Generates Rust source (`tickml_train::codegen`) for the committed LightGBM and
//! XGBoost fixture models into `$OUT_DIR/codegen/`: `tests/codegen.rs` compiles and checks
//! them against the blobs, `benches/inference.rs` times the 200-tree model's.

use std::path::PathBuf;

const MODELS: [&str; 10] = [
    "lgb_binary.txt",
    "lgb_regression.txt",
    "lgb_multiclass.txt",
    "lgb_rf.txt",
    "lgb_zero_missing.txt",
    "lgbm_200x31.txt",
    "xgb_binary.json",
    "xgb_regression.json",
    "xgb_multiclass.json",
    "xgb_categorical.json",
];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("codegen");
    std::fs::create_dir_all(&out).unwrap();
    for file in MODELS {
        let path = format!("tests/fixtures/models/{file}");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = if file.ends_with(".txt") {
            tickml_train::import::lightgbm::parse(&text)
        } else {
            tickml_train::import::xgboost::parse(&text)
        }
        .unwrap();
        let blob = spec.to_blob(0).unwrap();
        let source = tickml_train::codegen::tree_source(&blob).unwrap();
        let name = file.split('.').next().unwrap();
        std::fs::write(out.join(format!("{name}.rs")), source).unwrap();
    }
    println!("cargo:rerun-if-changed=build.rs");
}
