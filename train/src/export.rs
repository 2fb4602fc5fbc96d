//! Owned model descriptions and their encoding into the core's blobs. Every model the
//! train side produces or imports goes through here, so the wire format is written in
//! one place (`tickml_core::model`).

use tickml_core::model::{
    write_blob, Aggregation, BlobKind, LinearPayload, Link, Node, ThresholdWidth, Tree,
    TreePayload, LEAF_BIT,
};

/// A child of a tree node, by index within its tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// An internal node of the same tree.
    Node(usize),
    /// A leaf of the same tree.
    Leaf(usize),
}

/// Numbers the nodes of a tree kept as one array of splits and leaves (XGBoost,
/// smartcore, the boosting here): node i becomes the next split or the next leaf, in
/// array order.
pub fn number_nodes(is_leaf: impl IntoIterator<Item = bool>) -> Vec<Child> {
    let (mut splits, mut leaves) = (0, 0);
    is_leaf
        .into_iter()
        .map(|leaf| {
            let (counter, child): (&mut usize, fn(usize) -> Child) = if leaf {
                (&mut leaves, Child::Leaf)
            } else {
                (&mut splits, Child::Node)
            };
            *counter += 1;
            child(*counter - 1)
        })
        .collect()
}

/// One split, in the core's rule: left iff `x <= threshold` (flags as in
/// `tickml_core::model`).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitSpec {
    /// Feature index in model order.
    pub feature: u16,
    /// Threshold (numeric splits).
    pub threshold: f64,
    /// Category set as bitset words (categorical splits).
    pub categories: Option<Vec<u32>>,
    /// Flag bits.
    pub flags: u8,
    /// Left child.
    pub left: Child,
    /// Right child.
    pub right: Child,
}

/// One tree: its splits (any numbering; the root is `root`), its leaves and the output
/// it adds to.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeSpec {
    /// Internal nodes.
    pub splits: Vec<SplitSpec>,
    /// Leaf values.
    pub leaves: Vec<f64>,
    /// The root.
    pub root: Child,
    /// Output (class) index.
    pub output: u16,
}

/// A tree ensemble ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeEnsembleSpec {
    /// Feature names in model order.
    pub feature_names: Vec<String>,
    /// Outputs (1 or the number of classes).
    pub outputs: u16,
    /// How trees combine.
    pub aggregation: Aggregation,
    /// Link from margin to prediction.
    pub link: Link,
    /// Scale inside the sigmoid.
    pub link_scale: f64,
    /// Threshold width (and summation precision).
    pub threshold_width: ThresholdWidth,
    /// Inputs at most this far from 0 are read as 0 (0 disables).
    pub input_zero_threshold: f64,
    /// Margin each output starts from.
    pub base_margin: Vec<f64>,
    /// The trees.
    pub trees: Vec<TreeSpec>,
}

/// A linear model ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSpec {
    /// Feature names in model order.
    pub feature_names: Vec<String>,
    /// Identity or sigmoid.
    pub link: Link,
    /// Intercept.
    pub intercept: f64,
    /// One coefficient per feature.
    pub coefficients: Vec<f64>,
}

/// What can go wrong encoding a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A tree refers to a node or leaf it does not have, or is not a tree.
    #[error("tree {tree}: {what}")]
    BadTree {
        /// Tree index.
        tree: usize,
        /// What is wrong.
        what: String,
    },
    /// A feature name contains a newline, or there are more than 65535 features.
    #[error("bad feature names: {0}")]
    BadNames(String),
    /// The core refused the encoded blob (a bug if it happens).
    #[error("encoding: {0}")]
    Core(#[from] tickml_core::model::ModelError),
}

fn joined_names(names: &[String]) -> Result<String, ExportError> {
    if names.len() > usize::from(u16::MAX) {
        return Err(ExportError::BadNames(format!("{} features", names.len())));
    }
    if let Some(bad) = names.iter().find(|n| n.contains('\n') || n.is_empty()) {
        return Err(ExportError::BadNames(format!("{bad:?}")));
    }
    Ok(names.join("\n"))
}

fn encode_blob<P: serde::Serialize>(
    kind: BlobKind,
    features: usize,
    hash: u64,
    payload: &P,
    size_hint: usize,
) -> Result<Vec<u8>, ExportError> {
    let mut buf = vec![0u8; size_hint + 1024];
    loop {
        match write_blob(kind, features as u32, hash, payload, &mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(tickml_core::model::ModelError::BufferTooSmall) => buf.resize(buf.len() * 2, 0),
            Err(e) => return Err(e.into()),
        }
    }
}

impl TreeEnsembleSpec {
    /// Encodes the ensemble as a blob. Nodes are laid out in pre-order per tree (the
    /// left child right after its parent), which the core's validation requires
    /// (children after parents) and which keeps the common path contiguous.
    pub fn to_blob(&self, schema_hash: u64) -> Result<Vec<u8>, ExportError> {
        let width = self.threshold_width;
        let mut trees = Vec::new();
        let mut nodes = Vec::new();
        let mut leaves = Vec::new();
        let mut sets: Vec<u8> = Vec::new();
        let mut words: Vec<u8> = Vec::new();
        let mut node_total = 0usize;
        for (t, tree) in self.trees.iter().enumerate() {
            let bad = |what: &str| ExportError::BadTree {
                tree: t,
                what: what.to_string(),
            };
            let leaf_base = leaves.len() / 8;
            for v in &tree.leaves {
                leaves.extend_from_slice(&v.to_le_bytes());
            }
            let leaf_ref = |i: usize| -> Result<u32, ExportError> {
                if i >= tree.leaves.len() {
                    return Err(bad("leaf index out of range"));
                }
                Ok(LEAF_BIT | (leaf_base + i) as u32)
            };
            // pre-order: an explicit stack of (split index, slot to patch)
            let first = node_total;
            let mut order: Vec<usize> = Vec::new();
            let mut position = vec![usize::MAX; tree.splits.len()];
            let mut stack = match tree.root {
                Child::Node(i) => vec![i],
                Child::Leaf(_) => vec![],
            };
            while let Some(i) = stack.pop() {
                let split = tree
                    .splits
                    .get(i)
                    .ok_or_else(|| bad("node index out of range"))?;
                if position[i] != usize::MAX {
                    return Err(bad("a node is reached twice (not a tree)"));
                }
                position[i] = first + order.len();
                order.push(i);
                if let Child::Node(r) = split.right {
                    stack.push(r);
                }
                if let Child::Node(l) = split.left {
                    stack.push(l);
                }
            }
            let child_ref = |c: Child| -> Result<u32, ExportError> {
                match c {
                    Child::Leaf(i) => leaf_ref(i),
                    Child::Node(i) => Ok(position[i] as u32),
                }
            };
            for &i in &order {
                let s = &tree.splits[i];
                let category_set = match &s.categories {
                    Some(bits) => {
                        let index = (sets.len() / 8) as u32;
                        sets.extend_from_slice(&((words.len() / 4) as u32).to_le_bytes());
                        sets.extend_from_slice(&(bits.len() as u32).to_le_bytes());
                        for w in bits {
                            words.extend_from_slice(&w.to_le_bytes());
                        }
                        index
                    }
                    None => 0,
                };
                let node = Node {
                    threshold: s.threshold,
                    category_set,
                    feature: s.feature,
                    flags: s.flags,
                    left: child_ref(s.left)?,
                    right: child_ref(s.right)?,
                };
                let (bytes, n) = node.encode(width);
                nodes.extend_from_slice(&bytes[..n]);
            }
            node_total += order.len();
            let root = match tree.root {
                Child::Leaf(i) => leaf_ref(i)?,
                Child::Node(_) => first as u32,
            };
            let record = Tree {
                root,
                first_node: first as u32,
                node_count: order.len() as u32,
                output: tree.output,
            };
            trees.extend_from_slice(&record.encode());
        }
        let names = joined_names(&self.feature_names)?;
        let base: Vec<u8> = self
            .base_margin
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let payload = TreePayload {
            feature_names: &names,
            outputs: self.outputs,
            aggregation: self.aggregation,
            link: self.link,
            link_scale: self.link_scale,
            threshold_width: width,
            input_zero_threshold: self.input_zero_threshold,
            base_margin: &base,
            trees: &trees,
            nodes: &nodes,
            leaves: &leaves,
            category_sets: &sets,
            category_words: &words,
        };
        let size = names.len()
            + base.len()
            + trees.len()
            + nodes.len()
            + leaves.len()
            + sets.len()
            + words.len();
        encode_blob(
            BlobKind::TreeEnsemble,
            self.feature_names.len(),
            schema_hash,
            &payload,
            size,
        )
    }
}

impl LinearSpec {
    /// Encodes the model as a blob.
    pub fn to_blob(&self, schema_hash: u64) -> Result<Vec<u8>, ExportError> {
        let names = joined_names(&self.feature_names)?;
        let coefficients: Vec<u8> = self
            .coefficients
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let payload = LinearPayload {
            feature_names: &names,
            link: self.link,
            intercept: self.intercept,
            coefficients: &coefficients,
        };
        encode_blob(
            BlobKind::Linear,
            self.feature_names.len(),
            schema_hash,
            &payload,
            names.len() + coefficients.len(),
        )
    }
}

/// Gaussian HMM parameters (diagonal covariances) ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct HmmSpec {
    /// Observed feature names.
    pub feature_names: Vec<String>,
    /// Initial state probabilities (K).
    pub start: Vec<f64>,
    /// Transition matrix, K rows of K.
    pub transition: Vec<Vec<f64>>,
    /// Emission means, K rows of D.
    pub means: Vec<Vec<f64>>,
    /// Emission variances, K rows of D.
    pub variances: Vec<Vec<f64>>,
    /// The regime of each state.
    pub regimes: Vec<tickml_core::regime::RegimeType>,
}

impl HmmSpec {
    /// Encodes the parameters as a blob (kind 3).
    pub fn to_blob(&self, schema_hash: u64) -> Result<Vec<u8>, ExportError> {
        let names = joined_names(&self.feature_names)?;
        let flat = |rows: &[Vec<f64>]| -> Vec<u8> {
            rows.iter()
                .flatten()
                .flat_map(|v| v.to_le_bytes())
                .collect()
        };
        let start: Vec<u8> = self.start.iter().flat_map(|v| v.to_le_bytes()).collect();
        let (transition, means, variances) = (
            flat(&self.transition),
            flat(&self.means),
            flat(&self.variances),
        );
        let regimes: Vec<u8> = self.regimes.iter().map(|r| *r as u8).collect();
        let payload = tickml_core::regime::HmmPayload {
            feature_names: &names,
            start: &start,
            transition: &transition,
            means: &means,
            variances: &variances,
            regimes: &regimes,
        };
        let size = names.len()
            + start.len()
            + transition.len()
            + means.len()
            + variances.len()
            + regimes.len();
        encode_blob(
            BlobKind::GaussianHmm,
            self.feature_names.len(),
            schema_hash,
            &payload,
            size,
        )
    }
}

/// A deployable bundle ready to encode (blob kind 4).
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSpec {
    /// The feature configuration.
    pub features: tickml_core::FeatureConfig,
    /// Base models: (strategy id, family, name, predicts a probability, model blob).
    pub models: Vec<(
        u32,
        tickml_core::arbitrator::StrategyFamily,
        String,
        bool,
        Vec<u8>,
    )>,
    /// The rule detector's thresholds, or an HMM blob.
    pub regime: Result<tickml_core::regime::RuleConfig, Vec<u8>>,
    /// The arbitrator's configuration.
    pub arbitrator: tickml_core::arbitrator::ArbitratorConfig,
    /// The stacking meta-learner blob.
    pub meta_learner: Option<Vec<u8>>,
    /// How the bundle builds bars from trades (none: it takes bars).
    pub bars: Option<tickml_core::bars::BarRule>,
    /// The universe's symbols (empty: one series).
    pub universe: Vec<String>,
}

impl BundleSpec {
    /// Encodes the bundle; the header carries the features' schema hash.
    pub fn to_blob(&self) -> Result<Vec<u8>, ExportError> {
        use tickml_core::pipeline::{BundlePayload, BundledModel, RegimeSpec};
        let set = tickml_core::DefaultFeatureSet::<f64>::new(self.features.clone())
            .map_err(|e| ExportError::BadNames(e.to_string()))?;
        let mut members: Vec<&String> = self.universe.iter().collect();
        members.sort();
        if members.windows(2).any(|w| w[0] == w[1]) || members.iter().any(|m| m.is_empty()) {
            return Err(ExportError::BadNames(format!(
                "universe {:?}: members must be distinct and non-empty",
                self.universe
            )));
        }
        let mut models = heapless::Vec::new();
        for (id, family, name, probability, blob) in &self.models {
            models
                .push(BundledModel {
                    strategy_id: *id,
                    family: *family,
                    name,
                    probability: *probability,
                    blob,
                })
                .map_err(|_| {
                    ExportError::BadNames(format!(
                        "at most {} models in a bundle",
                        tickml_core::pipeline::MAX_MODELS
                    ))
                })?;
        }
        let payload = BundlePayload {
            features: self.features.clone(),
            models,
            regime: match &self.regime {
                Ok(rules) => RegimeSpec::Rules(*rules),
                Err(hmm) => RegimeSpec::Hmm(hmm),
            },
            arbitrator: self.arbitrator,
            meta_learner: self.meta_learner.as_deref(),
        };
        let size = self.models.iter().map(|m| m.4.len() + 64).sum::<usize>()
            + self.meta_learner.as_ref().map_or(0, Vec::len)
            + 4096;
        encode_blob(
            BlobKind::Bundle,
            set.schema().len(),
            set.schema().hash(),
            // the payload, then the bar rule (format version 3) and the universe (4)
            &(payload, self.bars, &self.universe),
            size,
        )
    }
}
