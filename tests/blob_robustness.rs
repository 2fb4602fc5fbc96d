//! Blobs never panic the decoder: arbitrary bytes, and real blobs with bytes flipped,
//! cut or appended, give a typed error or a model that predicts without panicking;
//! round trips are exact; each kind of damage gets its own error.

mod common;

use common::fixture_blob;
use proptest::prelude::*;
use tickml_core::model::{crc32, LinearModel, Model, ModelBlob, ModelError, HEADER_LEN};
use tickml_train::export::LinearSpec;

/// Rewrites the CRC so that damage past the header reaches the payload decoder.
fn recrc(blob: &mut [u8]) {
    if blob.len() >= HEADER_LEN {
        let mut bytes = blob[..24].to_vec();
        bytes.extend_from_slice(&blob[HEADER_LEN..]);
        let crc = crc32(&bytes);
        blob[24..28].copy_from_slice(&crc.to_le_bytes());
    }
}

fn exercise(bytes: &[u8]) {
    if let Ok(model) = Model::from_blob(bytes) {
        let x = vec![0.5f64; model.feature_count()];
        let mut out = vec![0.0; model.outputs()];
        model.predict(&x, &mut out).unwrap();
        let nan = vec![f64::NAN; model.feature_count()];
        model.predict(&nan, &mut out).unwrap();
    }
}

fn blobs() -> Vec<Vec<u8>> {
    [
        "lgb_binary.txt",
        "lgb_multiclass.txt",
        "xgb_categorical.json",
    ]
    .iter()
    .map(|f| fixture_blob(f))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
        let mut with_header = b"TKML\x01\x00\x01\x00".to_vec();
        with_header.extend_from_slice(&bytes);
        recrc(&mut with_header);
        exercise(&with_header);
    }

    #[test]
    fn mutated_blobs_never_panic(which in 0usize..3, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>(), fix_crc in any::<bool>()) {
        let mut blob = blobs()[which].clone();
        for (at, byte) in &flips {
            let i = at.index(blob.len());
            blob[i] ^= byte | 1;
        }
        if fix_crc {
            recrc(&mut blob);
        }
        exercise(&blob);
        let cut = cut.index(blob.len());
        exercise(&blob[..cut]);
    }

    #[test]
    fn linear_blobs_round_trip(coefficients in prop::collection::vec(-1e6f64..1e6, 1..40), intercept in -10.0f64..10.0, x in prop::collection::vec(-10.0f64..10.0, 40)) {
        let spec = LinearSpec {
            feature_names: (0..coefficients.len()).map(|i| format!("f{i}")).collect(),
            link: tickml_core::model::Link::Identity,
            intercept,
            coefficients: coefficients.clone(),
        };
        let blob = spec.to_blob(42).unwrap();
        let model = LinearModel::from_blob(&blob).unwrap();
        prop_assert_eq!(model.schema_hash(), 42);
        let names: Vec<&str> = model.feature_names().collect();
        prop_assert_eq!(names, spec.feature_names.iter().map(String::as_str).collect::<Vec<_>>());
        let mut out = [0.0f64];
        model.predict(&x, &mut out).unwrap();
        let naive = intercept + coefficients.iter().zip(&x).map(|(w, v)| w * v).sum::<f64>();
        prop_assert!((out[0] - naive).abs() <= 1e-9 * naive.abs().max(1.0));
    }
}

#[test]
fn tree_blobs_round_trip_through_reencoding() {
    // importing, encoding and decoding twice gives the same bytes
    for file in ["lgb_binary.txt", "xgb_multiclass.json"] {
        let a = fixture_blob(file);
        let b = fixture_blob(file);
        assert_eq!(a, b);
        assert!(Model::from_blob(&a).is_ok());
    }
}

#[test]
fn each_kind_of_damage_has_its_error() {
    let blob = fixture_blob("lgb_binary.txt");
    assert!(matches!(
        ModelBlob::parse(&blob[..10]),
        Err(ModelError::Truncated { .. })
    ));
    assert!(matches!(
        ModelBlob::parse(&blob[..blob.len() - 1]),
        Err(ModelError::Truncated { .. })
    ));
    let mut longer = blob.clone();
    longer.push(0);
    assert_eq!(
        ModelBlob::parse(&longer).unwrap_err(),
        ModelError::TrailingBytes
    );
    let mut magic = blob.clone();
    magic[0] = b'X';
    assert_eq!(ModelBlob::parse(&magic).unwrap_err(), ModelError::BadMagic);
    let mut version = blob.clone();
    version[4] = 9;
    assert_eq!(
        ModelBlob::parse(&version).unwrap_err(),
        ModelError::UnsupportedVersion { version: 9 }
    );
    // version 2 changed only the bundle payload: a version 1 model blob still reads, a
    // version 1 bundle is refused
    let mut v1 = blob.clone();
    v1[4] = 1;
    recrc(&mut v1);
    assert!(ModelBlob::parse(&v1).is_ok());
    let mut bundle = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("stream-cli/assets/default_bundle.tml"),
    )
    .unwrap();
    assert!(ModelBlob::parse(&bundle).is_ok());
    bundle[4] = 1;
    recrc(&mut bundle);
    assert_eq!(
        ModelBlob::parse(&bundle).unwrap_err(),
        ModelError::UnsupportedVersion { version: 1 }
    );
    let mut kind = blob.clone();
    kind[6] = 77;
    assert_eq!(
        ModelBlob::parse(&kind).unwrap_err(),
        ModelError::UnexpectedKind { kind: 77 }
    );
    let mut payload = blob.clone();
    let last = payload.len() - 1;
    payload[last] ^= 0xFF;
    assert!(matches!(
        ModelBlob::parse(&payload),
        Err(ModelError::CrcMismatch { .. })
    ));
    assert!(matches!(
        LinearModel::from_blob(&blob),
        Err(ModelError::UnexpectedKind { kind: 1 })
    ));
}

#[test]
fn structural_damage_is_named() {
    use tickml_core::model::{Aggregation, Link, ThresholdWidth};
    use tickml_train::export::{Child, SplitSpec, TreeEnsembleSpec, TreeSpec};
    let split = |feature, left, right| SplitSpec {
        feature,
        threshold: 0.5,
        categories: None,
        flags: 0,
        left,
        right,
    };
    let spec = |splits: Vec<SplitSpec>, features: usize| TreeEnsembleSpec {
        feature_names: (0..features).map(|i| format!("f{i}")).collect(),
        outputs: 1,
        aggregation: Aggregation::Sum,
        link: Link::Identity,
        link_scale: 1.0,
        threshold_width: ThresholdWidth::F64,
        input_zero_threshold: 0.0,
        base_margin: vec![0.0],
        trees: vec![TreeSpec {
            splits,
            leaves: vec![1.0, 2.0, 3.0],
            root: Child::Node(0),
            output: 0,
        }],
    };
    // a feature beyond the model's
    let blob = spec(vec![split(5, Child::Leaf(0), Child::Leaf(1))], 2)
        .to_blob(0)
        .unwrap();
    assert_eq!(
        Model::from_blob(&blob).unwrap_err(),
        ModelError::FeatureOutOfRange {
            node: 0,
            feature: 5
        }
    );
    // a node reached twice is refused by the encoder
    let dag = spec(
        vec![
            split(0, Child::Node(1), Child::Node(1)),
            split(1, Child::Leaf(0), Child::Leaf(1)),
        ],
        2,
    );
    assert!(dag.to_blob(0).is_err());
    // a working tree predicts by the core's rule
    let ok = spec(
        vec![
            split(0, Child::Node(1), Child::Leaf(2)),
            split(1, Child::Leaf(0), Child::Leaf(1)),
        ],
        2,
    )
    .to_blob(0)
    .unwrap();
    let model = Model::from_blob(&ok).unwrap();
    let mut out = [0.0];
    for (x, want) in [
        ([0.5, 0.5], 1.0),
        ([0.5, 0.6], 2.0),
        ([0.6, 0.0], 3.0),
        ([f64::NAN, f64::NAN], 1.0),
    ] {
        model.predict(&x, &mut out).unwrap();
        assert_eq!(out[0], want, "x = {x:?}");
    }
}
