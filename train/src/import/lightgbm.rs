//! LightGBM v4 text models (`model.save_model("m.txt")`): binary, regression,
//! multiclass (and the exponential-link objectives), random-forest averaging, missing
//! types None/Zero/NaN and categorical splits. Linear trees are refused.
//!
//! LightGBM compares doubles with `fval <= threshold`, which is already the core's
//! rule: thresholds are kept as f64, bit for bit.

use std::collections::HashMap;

use tickml_core::model::{
    Aggregation, Link, ThresholdWidth, CATEGORICAL, DEFAULT_LEFT, MISSING_NAN, MISSING_ZERO,
};

use super::{format_err, ImportError};
use crate::export::{Child, SplitSpec, TreeEnsembleSpec, TreeSpec};

/// LightGBM's `kZeroThreshold` (a float): inputs this close to 0 are dropped from its
/// sparse rows, i.e. read as 0.
const K_ZERO_THRESHOLD: f32 = 1e-35;
const CATEGORICAL_MASK: u32 = 1;
const DEFAULT_LEFT_MASK: u32 = 2;

fn parse_list<T: std::str::FromStr>(key: &str, text: &str) -> Result<Vec<T>, ImportError> {
    text.split_whitespace()
        .map(|v| {
            v.parse()
                .map_err(|_| format_err(format!("{key}: `{v}` is not a number")))
        })
        .collect()
}

struct Section<'a> {
    fields: HashMap<&'a str, &'a str>,
}

impl<'a> Section<'a> {
    fn get(&self, key: &str) -> Result<&'a str, ImportError> {
        self.fields
            .get(key)
            .copied()
            .ok_or_else(|| format_err(format!("missing `{key}`")))
    }
    fn list<T: std::str::FromStr>(&self, key: &str) -> Result<Vec<T>, ImportError> {
        parse_list(key, self.get(key)?)
    }
    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T, ImportError> {
        let v = self.get(key)?;
        v.trim()
            .parse()
            .map_err(|_| format_err(format!("{key}: `{v}` is not a number")))
    }
}

fn objective_link(objective: &str) -> Result<(Link, f64), ImportError> {
    let mut parts = objective.split_whitespace();
    let name = parts.next().unwrap_or("");
    let param = |key: &str| {
        objective
            .split_whitespace()
            .find_map(|p| p.strip_prefix(key)?.strip_prefix(':')?.parse::<f64>().ok())
    };
    match name {
        "binary" => Ok((Link::Sigmoid, param("sigmoid").unwrap_or(1.0))),
        "cross_entropy" | "xentropy" => Ok((Link::Sigmoid, 1.0)),
        "regression" | "regression_l2" | "regression_l1" | "huber" | "fair" | "quantile"
        | "mape" => Ok((Link::Identity, 1.0)),
        "multiclass" | "softmax" => Ok((Link::Softmax, 1.0)),
        "poisson" | "gamma" | "tweedie" => Ok((Link::Exp, 1.0)),
        other => Err(ImportError::Unsupported(format!(
            "LightGBM objective `{other}`"
        ))),
    }
}

/// Parses a LightGBM text model.
pub fn parse(text: &str) -> Result<TreeEnsembleSpec, ImportError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section {
        fields: HashMap::new(),
    };
    let mut header: Option<Section> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "end of trees" {
            break;
        }
        if line.starts_with("Tree=") {
            let done = std::mem::replace(
                &mut current,
                Section {
                    fields: HashMap::new(),
                },
            );
            if header.is_none() {
                header = Some(done);
            } else {
                sections.push(done);
            }
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) => {
                current.fields.insert(k, v);
            }
            None if !line.is_empty() => {
                current.fields.insert(line, "");
            }
            None => {}
        }
    }
    match header {
        None => return Err(format_err("no `Tree=` section: not a LightGBM text model")),
        Some(_) => sections.push(current),
    }
    let header = header.unwrap_or(Section {
        fields: HashMap::new(),
    });
    let per_iteration: usize = header.number("num_tree_per_iteration")?;
    let num_class: usize = header.number("num_class")?;
    let max_feature: usize = header.number("max_feature_idx")?;
    let names: Vec<String> = header
        .get("feature_names")?
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if names.len() != max_feature + 1 {
        return Err(format_err("feature_names does not match max_feature_idx"));
    }
    let (link, link_scale) = objective_link(header.get("objective")?)?;
    if header.get("objective")?.starts_with("multiclassova") {
        return Err(ImportError::Unsupported("multiclassova".into()));
    }
    if per_iteration == 0 || (link == Link::Softmax && per_iteration != num_class) {
        return Err(format_err(
            "num_tree_per_iteration does not fit the objective",
        ));
    }
    let aggregation = if header.fields.contains_key("average_output") {
        Aggregation::Mean
    } else {
        Aggregation::Sum
    };
    let mut trees = Vec::with_capacity(sections.len());
    for (t, s) in sections.iter().enumerate() {
        let in_tree = |e: ImportError| format_err(format!("Tree={t}: {e}"));
        trees.push(parse_tree(s, t % per_iteration, names.len()).map_err(in_tree)?);
    }
    Ok(TreeEnsembleSpec {
        feature_names: names,
        outputs: per_iteration as u16,
        aggregation,
        link,
        link_scale,
        threshold_width: ThresholdWidth::F64,
        input_zero_threshold: f64::from(K_ZERO_THRESHOLD),
        base_margin: vec![0.0; per_iteration],
        trees,
    })
}

fn child(v: i64) -> Child {
    if v < 0 {
        Child::Leaf(!v as usize)
    } else {
        Child::Node(v as usize)
    }
}

fn parse_tree(s: &Section, output: usize, n_features: usize) -> Result<TreeSpec, ImportError> {
    if s.fields.get("is_linear").is_some_and(|v| v.trim() != "0") {
        return Err(ImportError::Unsupported(
            "linear trees (linear_tree=true): their leaves are regressions the core does not run"
                .into(),
        ));
    }
    let num_leaves: usize = s.number("num_leaves")?;
    let leaves: Vec<f64> = s.list("leaf_value")?;
    if leaves.len() != num_leaves {
        return Err(format_err("leaf_value count differs from num_leaves"));
    }
    if num_leaves == 1 {
        return Ok(TreeSpec {
            splits: vec![],
            leaves,
            root: Child::Leaf(0),
            output: output as u16,
        });
    }
    let features: Vec<usize> = s.list("split_feature")?;
    let thresholds: Vec<f64> = s.list("threshold")?;
    let decisions: Vec<u32> = s.list("decision_type")?;
    let lefts: Vec<i64> = s.list("left_child")?;
    let rights: Vec<i64> = s.list("right_child")?;
    let n = num_leaves - 1;
    if [
        features.len(),
        thresholds.len(),
        decisions.len(),
        lefts.len(),
        rights.len(),
    ]
    .iter()
    .any(|&l| l != n)
    {
        return Err(format_err(
            "split arrays do not have num_leaves - 1 entries",
        ));
    }
    let num_cat: usize = s.number("num_cat").unwrap_or(0);
    let (boundaries, cat_words): (Vec<usize>, Vec<u32>) = if num_cat > 0 {
        (s.list("cat_boundaries")?, s.list("cat_threshold")?)
    } else {
        (vec![], vec![])
    };
    let mut splits = Vec::with_capacity(n);
    for i in 0..n {
        if features[i] >= n_features {
            return Err(format_err(format!(
                "split {i} uses feature {}",
                features[i]
            )));
        }
        let d = decisions[i];
        let mut flags = 0u8;
        if d & DEFAULT_LEFT_MASK != 0 {
            flags |= DEFAULT_LEFT;
        }
        let mut categories = None;
        if d & CATEGORICAL_MASK != 0 {
            flags |= CATEGORICAL;
            let idx = thresholds[i] as usize;
            let (lo, hi) = match (boundaries.get(idx), boundaries.get(idx + 1)) {
                (Some(&lo), Some(&hi)) if lo <= hi && hi <= cat_words.len() => (lo, hi),
                _ => return Err(format_err(format!("split {i}: bad category set {idx}"))),
            };
            categories = Some(cat_words[lo..hi].to_vec());
        } else {
            match (d >> 2) & 3 {
                0 => {}
                1 => flags |= MISSING_ZERO,
                2 => flags |= MISSING_NAN,
                m => return Err(format_err(format!("split {i}: missing type {m}"))),
            }
        }
        splits.push(SplitSpec {
            feature: features[i] as u16,
            threshold: thresholds[i],
            categories,
            flags,
            left: child(lefts[i]),
            right: child(rights[i]),
        });
    }
    Ok(TreeSpec {
        splits,
        leaves,
        root: Child::Node(0),
        output: output as u16,
    })
}
