//! Any bytes given to the blob decoder give a typed error or a model that predicts:
//! never a panic, never a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickml_core::model::Model;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_blob(data) {
        let n = model.feature_count().min(4096);
        let mut out = [0.0f64; 64];
        for fill in [0.0, 1.5, -1.0, f64::NAN, f64::INFINITY] {
            let x = [fill; 4096];
            let _ = model.predict(&x[..n], &mut out);
        }
    }
});
