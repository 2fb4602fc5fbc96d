//! Blobs never panic the decoder: arbitrary bytes, and real blobs with bytes flipped,
//! cut or appended, give a typed error or a model that predicts without panicking;
//! round trips equal a naive evaluation of what was encoded; each kind of damage gets its
//! own error.

mod common;

use common::fixture_blob;
use proptest::prelude::*;
use tickml_core::model::{
    crc32, CompactNode, CompactTrees, CompleteTrees, LinearModel, Model, ModelBlob, ModelError,
    QuickScorer, ScorerRecord, TreeEnsemble, HEADER_LEN,
};
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

/// Predicts from a blob that decodes; a tree ensemble's compact layout is refused with
/// a typed error or predicts bit for bit as the blob walk.
fn exercise(bytes: &[u8]) {
    if let Ok(model) = Model::from_blob(bytes) {
        let x = vec![0.5f64; model.feature_count()];
        let nan = vec![f64::NAN; model.feature_count()];
        let mut out = vec![0.0; model.outputs()];
        let mut compact_out = out.clone();
        let Model::Trees(trees) = model else {
            model.predict(&x, &mut out).unwrap();
            model.predict(&nan, &mut out).unwrap();
            return;
        };
        let mut buf = vec![CompactNode::default(); CompactTrees::records_needed(&trees)];
        let compact = CompactTrees::new(trees, &mut buf);
        let mut scorer_buf = vec![ScorerRecord::default(); QuickScorer::records_needed(&trees)];
        let scorer = QuickScorer::new(trees, &mut scorer_buf);
        let needed = CompleteTrees::records_needed(&trees).unwrap_or(0);
        let mut complete_buf = vec![ScorerRecord::default(); needed];
        let complete = CompleteTrees::new(trees, &mut complete_buf);
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for row in [&x, &nan] {
            model.predict(row, &mut out).unwrap();
            if let Ok(compact) = &compact {
                compact.predict(row, &mut compact_out).unwrap();
                assert_eq!(bits(&out), bits(&compact_out));
            }
            if let Ok(scorer) = &scorer {
                scorer.predict(row, &mut compact_out).unwrap();
                assert_eq!(bits(&out), bits(&compact_out), "QuickScorer");
            }
            if let Ok(complete) = &complete {
                complete.predict(row, &mut compact_out).unwrap();
                assert_eq!(bits(&out), bits(&compact_out), "complete trees");
            }
        }
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

    /// Random trees (1 to 19 of them, complete, depth 1 to 3, random features, thresholds, missing-value
    /// flags) encoded to a blob and read by the core predict what a naive walk of the
    /// specification gives, on rows with values at, around and missing from the
    /// thresholds: the encoding keeps every node, child and flag. Every layout (complete
    /// trees padding the shallower trees to the deepest), and QuickScorer's rows side by
    /// side, predicts as the blob. Complete trees' records kept and checked again predict
    /// as the blob too, and with one bit of one word changed are refused naming it.
    #[test]
    fn tree_blobs_round_trip(trees in prop::collection::vec((1u32..4, prop::collection::vec((0u16..4, -2i8..3, 0u8..3), 7), prop::collection::vec(-5.0f64..5.0, 8)), 1..20), base in -1.0f64..1.0, zero in prop_oneof![Just(0.0), Just(0.5)], rows in prop::collection::vec(prop::collection::vec(prop_oneof![(-3i8..4).prop_map(|v| f64::from(v) * 0.5), Just(f64::NAN), prop_oneof![Just(0.5f64), Just(-0.5)].prop_flat_map(|z| prop_oneof![Just(z), Just(z.next_up()), Just(z.next_down())])], 4), 1..20), changed in (0usize..100_000, 0u32..64)) {
        use tickml_core::model::{Aggregation, Link, ThresholdWidth, DEFAULT_LEFT, MISSING_NAN};
        use tickml_train::export::{Child, SplitSpec, TreeEnsembleSpec, TreeSpec};
        let flags = [0, MISSING_NAN, MISSING_NAN | DEFAULT_LEFT];
        // complete binary tree in breadth-first order: node i's children are 2i+1, 2i+2,
        // leaves past the last split
        let specs: Vec<TreeSpec> = trees.iter().map(|(depth, nodes, leaves)| {
            let n_splits = (1usize << depth) - 1;
            let child = |c: usize| if c < n_splits { Child::Node(c) } else { Child::Leaf(c - n_splits) };
            TreeSpec {
                splits: (0..n_splits).map(|i| SplitSpec {
                    feature: nodes[i].0,
                    threshold: f64::from(nodes[i].1) * 0.5,
                    categories: None,
                    flags: flags[usize::from(nodes[i].2)],
                    left: child(2 * i + 1),
                    right: child(2 * i + 2),
                }).collect(),
                leaves: leaves[..1 << depth].to_vec(),
                root: Child::Node(0),
                output: 0,
            }
        }).collect();
        let spec = TreeEnsembleSpec {
            feature_names: (0..4).map(|i| format!("x{i}")).collect(),
            outputs: 1,
            aggregation: Aggregation::Sum,
            link: Link::Identity,
            link_scale: 1.0,
            threshold_width: ThresholdWidth::F64,
            input_zero_threshold: zero,
            base_margin: vec![base],
            trees: specs.clone(),
        };
        let blob = spec.to_blob(0).unwrap();
        let model = Model::from_blob(&blob).unwrap();
        // the documented rule: left iff x <= t; NaN goes to the default side with
        // MISSING_NAN (left with DEFAULT_LEFT, else right) and reads as 0.0 without it;
        // an input within the input zero threshold reads as 0.0
        let walk = |t: &TreeSpec, row: &[f64]| {
            let mut at = t.root;
            loop {
                match at {
                    Child::Leaf(l) => return t.leaves[l],
                    Child::Node(i) => {
                        let s = &t.splits[i];
                        let x = row[usize::from(s.feature)];
                        let left = if x.is_nan() && s.flags & MISSING_NAN != 0 {
                            s.flags & DEFAULT_LEFT != 0
                        } else {
                            (if x.is_nan() || x.abs() <= zero { 0.0 } else { x }) <= s.threshold
                        };
                        at = if left { s.left } else { s.right };
                    }
                }
            }
        };
        let Model::Trees(trees) = model else { unreachable!() };
        let mut buf = vec![CompactNode::default(); CompactTrees::records_needed(&trees)];
        let compact = CompactTrees::new(trees, &mut buf).unwrap();
        let mut scorer_buf = vec![ScorerRecord::default(); QuickScorer::records_needed(&trees)];
        let scorer = QuickScorer::new(trees, &mut scorer_buf).unwrap();
        let mut complete_buf = vec![ScorerRecord::default(); CompleteTrees::records_needed(&trees).unwrap()];
        let complete = CompleteTrees::new(trees, &mut complete_buf).unwrap();
        let (mut out, mut compact_out, mut scorer_out) = ([0.0f64], [0.0f64], [0.0f64]);
        for row in &rows {
            model.predict(row, &mut out).unwrap();
            compact.predict(row, &mut compact_out).unwrap();
            scorer.predict(row, &mut scorer_out).unwrap();
            prop_assert_eq!(out[0].to_bits(), scorer_out[0].to_bits());
            complete.predict(row, &mut scorer_out).unwrap();
            prop_assert_eq!(out[0].to_bits(), scorer_out[0].to_bits(), "complete trees, row {:?}", row);
            let naive = base + specs.iter().map(|t| walk(t, row)).sum::<f64>();
            prop_assert!((out[0] - naive).abs() <= 1e-12 * naive.abs().max(1.0), "{} vs {}", out[0], naive);
            prop_assert_eq!(out[0].to_bits(), compact_out[0].to_bits());
        }
        let kept = CompleteTrees::from_records(trees, &complete_buf).unwrap();
        for row in &rows {
            model.predict(row, &mut out).unwrap();
            kept.predict(row, &mut scorer_out).unwrap();
            prop_assert_eq!(out[0].to_bits(), scorer_out[0].to_bits(), "kept records, row {:?}", row);
        }
        let word = changed.0 % complete_buf.len();
        let mut other = complete_buf.clone();
        other[word] = ScorerRecord::from_bits(other[word].bits() ^ 1 << changed.1);
        prop_assert_eq!(
            CompleteTrees::from_records(trees, &other).err(),
            Some(ModelError::LayoutMismatch { word })
        );
        // rows side by side: groups with NaN in some rows only, and a part group
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        let mut batch = vec![0.0f64; rows.len()];
        scorer.predict_many(&flat, &mut batch).unwrap();
        for (row, got) in rows.iter().zip(&batch) {
            model.predict(row, &mut out).unwrap();
            prop_assert_eq!(out[0].to_bits(), got.to_bits(), "QuickScorer batch, row {:?}", row);
        }
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
    use tickml_train::export::{Child, SplitSpec, TreeSpec};
    let split = |feature, left, right| SplitSpec {
        feature,
        threshold: 0.5,
        categories: None,
        flags: 0,
        left,
        right,
    };
    let spec = |splits: Vec<SplitSpec>, features: usize| {
        let tree = TreeSpec {
            splits,
            leaves: vec![1.0, 2.0, 3.0],
            root: Child::Node(0),
            output: 0,
        };
        common::tree_ensemble((0..features).map(|i| format!("f{i}")).collect(), vec![tree])
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

/// A chain of `depth` splits (each left child the next split, each right child a leaf).
fn chain(depth: usize) -> Vec<u8> {
    use tickml_train::export::{Child, SplitSpec, TreeSpec};
    let splits = (0..depth)
        .map(|i| SplitSpec {
            feature: 0,
            threshold: -(i as f64),
            categories: None,
            flags: 0,
            left: if i + 1 < depth {
                Child::Node(i + 1)
            } else {
                Child::Leaf(depth)
            },
            right: Child::Leaf(i),
        })
        .collect();
    let tree = TreeSpec {
        splits,
        leaves: (0..=depth).map(|i| i as f64).collect(),
        root: Child::Node(0),
        output: 0,
    };
    common::tree_ensemble(vec!["x".into()], vec![tree])
        .to_blob(0)
        .unwrap()
}

/// The compact layout names what it cannot hold: a short buffer, a tree deeper than its
/// stack. A tree as deep as the stack allows predicts as the blob walk at every depth.
#[test]
fn compact_layout_limits_are_typed_errors() {
    let blob = chain(10);
    let trees = TreeEnsemble::from_blob(&blob).unwrap();
    let needed = CompactTrees::records_needed(&trees);
    assert_eq!(needed, 1 + 10 + 11, "a header, the splits and the leaves");
    let mut short = vec![CompactNode::default(); 12];
    assert!(matches!(
        CompactTrees::new(trees, &mut short),
        Err(ModelError::CapacityExceeded {
            what: "compact tree records",
            ..
        })
    ));

    let deep = chain(tickml_core::model::MAX_DEPTH);
    let trees = TreeEnsemble::from_blob(&deep).unwrap();
    let mut buf = vec![CompactNode::default(); CompactTrees::records_needed(&trees)];
    assert!(matches!(
        CompactTrees::new(trees, &mut buf),
        Err(ModelError::CapacityExceeded {
            what: "tree depth",
            ..
        })
    ));

    let deepest = chain(tickml_core::model::MAX_DEPTH - 2);
    let trees = TreeEnsemble::from_blob(&deepest).unwrap();
    let mut buf = vec![CompactNode::default(); CompactTrees::records_needed(&trees)];
    let compact = CompactTrees::new(trees, &mut buf).unwrap();
    for x in [1.0, 0.0, -0.5, -7.0, -253.0, -254.0, -1e9, f64::NAN] {
        let (mut a, mut b) = ([0.0], [0.0]);
        trees.predict(&[x], &mut a).unwrap();
        compact.predict(&[x], &mut b).unwrap();
        assert_eq!(a[0].to_bits(), b[0].to_bits(), "x = {x}");
    }
}

/// QuickScorer names what it cannot hold: a short buffer, a tree with more leaves than
/// its word has bits. Trees with 32 leaves (32-bit words), 34 and as many as the word
/// holds predict as the blob walk at every leaf, one row at a time and side by side.
#[test]
fn quickscorer_limits_are_typed_errors() {
    let blob = chain(10);
    let trees = TreeEnsemble::from_blob(&blob).unwrap();
    let needed = QuickScorer::records_needed(&trees);
    assert_eq!(
        needed,
        1 + 1 + 1 + 2 * 10 + 11,
        "a word for the tree, the block and the run (every split is on one feature), two a \
         split (at most 32 leaves) and one a leaf"
    );
    let mut short = vec![ScorerRecord::default(); needed - 1];
    assert!(matches!(
        QuickScorer::new(trees, &mut short),
        Err(ModelError::CapacityExceeded {
            what: "QuickScorer records",
            ..
        })
    ));

    let wide = chain(tickml_core::model::MAX_LEAVES);
    let trees = TreeEnsemble::from_blob(&wide).unwrap();
    let mut buf = vec![ScorerRecord::default(); QuickScorer::records_needed(&trees)];
    assert!(matches!(
        QuickScorer::new(trees, &mut buf),
        Err(ModelError::CapacityExceeded {
            what: "leaves per tree",
            ..
        })
    ));

    // 32 leaves (the last with 32-bit words), 34, and as many as the word holds
    for splits in [31, 33, tickml_core::model::MAX_LEAVES - 1] {
        let blob = chain(splits);
        let trees = TreeEnsemble::from_blob(&blob).unwrap();
        let mut buf = vec![ScorerRecord::default(); QuickScorer::records_needed(&trees)];
        let scorer = QuickScorer::new(trees, &mut buf).unwrap();
        let xs: Vec<f64> = (-66..=2)
            .map(f64::from)
            .chain([-0.5, -1e9, f64::NAN])
            .collect();
        let mut batch = vec![0.0; xs.len()];
        scorer.predict_many(&xs, &mut batch).unwrap();
        for (&x, got) in xs.iter().zip(&batch) {
            let (mut a, mut b) = ([0.0], [0.0]);
            trees.predict(&[x], &mut a).unwrap();
            scorer.predict(&[x], &mut b).unwrap();
            assert_eq!(a[0].to_bits(), b[0].to_bits(), "{splits} splits, x = {x}");
            assert_eq!(
                a[0].to_bits(),
                got.to_bits(),
                "{splits} splits, batch, x = {x}"
            );
        }
    }
}

/// Complete trees name what they cannot hold: a short buffer, a tree deeper than
/// [`MAX_COMPLETE_DEPTH`], more than [`MAX_COMPLETE_FEATURES`] features. A chain as deep
/// as they allow, and one a split deep (padded to two), predict as the blob walk at every
/// leaf; an `f32` model compares an input in `f32`, so an `f64` input a step above an
/// `f32` threshold still goes left.
///
/// [`MAX_COMPLETE_DEPTH`]: tickml_core::model::MAX_COMPLETE_DEPTH
/// [`MAX_COMPLETE_FEATURES`]: tickml_core::model::MAX_COMPLETE_FEATURES
#[test]
fn complete_tree_limits_are_typed_errors() {
    use tickml_core::model::{ThresholdWidth, MAX_COMPLETE_DEPTH};
    use tickml_train::export::{Child, SplitSpec, TreeEnsembleSpec, TreeSpec};
    for (splits, words) in [(1, 3 * 4), (MAX_COMPLETE_DEPTH, 3 << MAX_COMPLETE_DEPTH)] {
        let blob = chain(splits);
        let trees = TreeEnsemble::from_blob(&blob).unwrap();
        assert_eq!(CompleteTrees::records_needed(&trees), Ok(words), "{splits}");
        let mut short = vec![ScorerRecord::default(); words - 1];
        assert!(matches!(
            CompleteTrees::new(trees, &mut short),
            Err(ModelError::CapacityExceeded {
                what: "complete-tree records",
                ..
            })
        ));
        let mut buf = vec![ScorerRecord::default(); words];
        let complete = CompleteTrees::new(trees, &mut buf).unwrap();
        for x in (-8..=2).map(f64::from).chain([-0.5, -1e9, f64::NAN]) {
            let (mut a, mut b) = ([0.0], [0.0]);
            trees.predict(&[x], &mut a).unwrap();
            complete.predict(&[x], &mut b).unwrap();
            assert_eq!(a[0].to_bits(), b[0].to_bits(), "{splits} splits, x = {x}");
        }
    }
    let deep = chain(MAX_COMPLETE_DEPTH + 1);
    let trees = TreeEnsemble::from_blob(&deep).unwrap();
    let too_deep = Err(ModelError::CapacityExceeded {
        what: "complete-tree depth",
        capacity: MAX_COMPLETE_DEPTH,
    });
    assert_eq!(CompleteTrees::records_needed(&trees), too_deep);

    let stump = |features: usize, threshold_width: ThresholdWidth| {
        let tree = TreeSpec {
            splits: vec![SplitSpec {
                feature: 0,
                threshold: 0.1,
                categories: None,
                flags: 0,
                left: Child::Leaf(0),
                right: Child::Leaf(1),
            }],
            leaves: vec![1.0, 2.0],
            root: Child::Node(0),
            output: 0,
        };
        let names = (0..features).map(|i| format!("x{i}")).collect();
        TreeEnsembleSpec {
            threshold_width,
            ..common::tree_ensemble(names, vec![tree])
        }
        .to_blob(0)
        .unwrap()
    };
    let wide = stump(257, ThresholdWidth::F64);
    let trees = TreeEnsemble::from_blob(&wide).unwrap();
    assert!(matches!(
        CompleteTrees::records_needed(&trees),
        Err(ModelError::CapacityExceeded {
            what: "complete-tree features",
            capacity: 256
        })
    ));
    let narrow = stump(1, ThresholdWidth::F32);
    let trees = TreeEnsemble::from_blob(&narrow).unwrap();
    let mut buf = vec![ScorerRecord::default(); CompleteTrees::records_needed(&trees).unwrap()];
    let complete = CompleteTrees::new(trees, &mut buf).unwrap();
    let t = f64::from(0.1f32);
    for (x, leaf) in [
        (t, 1.0),
        (t.next_up(), 1.0),
        (t.next_down(), 1.0),
        (0.2, 2.0),
    ] {
        let (mut a, mut b) = ([0.0], [0.0]);
        trees.predict(&[x], &mut a).unwrap();
        complete.predict(&[x], &mut b).unwrap();
        assert_eq!((a[0], b[0]), (leaf, leaf), "x = {x}");
    }
}

/// Across blocks (600 trees, three blocks of [`BLOCK_TREES`]), QuickScorer sums the
/// trees in the blob's order: bit for bit as the blob walk, on rows at, between and
/// missing from the thresholds, one at a time and side by side.
///
/// [`BLOCK_TREES`]: tickml_core::model::BLOCK_TREES
#[test]
fn quickscorer_keeps_tree_order_across_blocks() {
    use tickml_core::model::{DEFAULT_LEFT, MISSING_NAN};
    use tickml_train::export::{Child, SplitSpec, TreeEnsembleSpec, TreeSpec};
    let trees = (0..600usize)
        .map(|t| {
            let depth = 1 + t % 7;
            let splits = (0..depth)
                .map(|i| SplitSpec {
                    feature: ((t + i) % 3) as u16,
                    threshold: (t % 11) as f64 * 0.25 - i as f64 * 0.5,
                    categories: None,
                    flags: [0, MISSING_NAN, MISSING_NAN | DEFAULT_LEFT][(t + i) % 3],
                    // alternate the deep side, so masks cover both subtrees
                    left: if i + 1 < depth && i % 2 == 0 {
                        Child::Node(i + 1)
                    } else {
                        Child::Leaf(2 * i)
                    },
                    right: if i + 1 < depth && i % 2 == 1 {
                        Child::Node(i + 1)
                    } else {
                        Child::Leaf(2 * i + 1)
                    },
                })
                .collect();
            TreeSpec {
                splits,
                leaves: (0..2 * depth)
                    .map(|l| ((t * 31 + l * 7) % 101) as f64 * 1e-3 - 0.05)
                    .collect(),
                root: Child::Node(0),
                output: 0,
            }
        })
        .collect();
    let blob = TreeEnsembleSpec {
        base_margin: vec![0.1],
        ..common::tree_ensemble(vec!["a".into(), "b".into(), "c".into()], trees)
    }
    .to_blob(0)
    .unwrap();
    let trees = TreeEnsemble::from_blob(&blob).unwrap();
    let mut buf = vec![ScorerRecord::default(); QuickScorer::records_needed(&trees)];
    let scorer = QuickScorer::new(trees, &mut buf).unwrap();
    let values: Vec<f64> = (-14..=10)
        .map(|v| f64::from(v) * 0.25)
        .chain([f64::NAN])
        .collect();
    let mut rows = Vec::new();
    for (i, &a) in values.iter().enumerate() {
        for &b in values.iter().skip(i % 5).step_by(5) {
            let row = [a, b, values[(i * 7) % values.len()]];
            let (mut want, mut got) = ([0.0], [0.0]);
            trees.predict(&row, &mut want).unwrap();
            scorer.predict(&row, &mut got).unwrap();
            assert_eq!(want[0].to_bits(), got[0].to_bits(), "row {row:?}");
            rows.push((row, want[0]));
        }
    }
    let flat: Vec<f64> = rows.iter().flat_map(|(row, _)| *row).collect();
    let mut batch = vec![0.0f64; rows.len()];
    scorer.predict_many(&flat, &mut batch).unwrap();
    for ((row, want), got) in rows.iter().zip(&batch) {
        assert_eq!(want.to_bits(), got.to_bits(), "batch, row {row:?}");
    }
}

/// Every `predict_many` names a batch that is not whole rows, or an output too short for
/// it, and predicts as `predict` row by row otherwise.
#[test]
fn predict_many_refuses_part_rows_and_short_outputs() {
    let blob = fixture_blob("lgb_multiclass.txt");
    let model = Model::from_blob(&blob).unwrap();
    let Model::Trees(trees) = model else {
        unreachable!("a LightGBM model is a tree ensemble")
    };
    let mut buf = vec![CompactNode::default(); CompactTrees::records_needed(&trees)];
    let compact = CompactTrees::new(trees, &mut buf).unwrap();
    let mut scorer_buf = vec![ScorerRecord::default(); QuickScorer::records_needed(&trees)];
    let scorer = QuickScorer::new(trees, &mut scorer_buf).unwrap();
    let (w, k) = (model.feature_count(), model.outputs());
    let rows: Vec<f64> = (0..3 * w).map(|i| (i % 7) as f64 * 0.3 - 1.0).collect();
    type PredictMany<'f> = &'f dyn Fn(&[f64], &mut [f64]) -> Result<(), ModelError>;
    let paths: [PredictMany; 3] = [
        &|r, o| model.predict_many(r, o),
        &|r, o| compact.predict_many(r, o),
        &|r, o| scorer.predict_many(r, o),
    ];
    for predict_many in paths {
        let mut out = vec![0.0; 3 * k];
        assert!(matches!(
            predict_many(&rows[..3 * w - 1], &mut out),
            Err(ModelError::Malformed { .. })
        ));
        assert!(matches!(
            predict_many(&rows, &mut out[..3 * k - 1]),
            Err(ModelError::OutputTooShort { needed }) if needed == 3 * k
        ));
        predict_many(&rows, &mut out).unwrap();
        for (x, got) in rows.chunks(w).zip(out.chunks(k)) {
            let mut want = vec![0.0; k];
            model.predict(x, &mut want).unwrap();
            assert_eq!(want, got);
        }
    }
}
