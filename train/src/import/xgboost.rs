//! XGBoost 2.x/3.x JSON models (`booster.save_model("m.json")`), gbtree only:
//! `binary:logistic`, `reg:squarederror`, `multi:softprob` (and `multi:softmax`,
//! whose probabilities are predicted), numeric and categorical splits, `default_left`.
//!
//! XGBoost casts inputs to f32 and goes left iff `x < split`; the core goes left iff
//! `x <= t`, so each threshold becomes the next f32 below the split (exactly the same
//! partition of f32 inputs). Categories in a node's set go right. `base_score` is read as
//! stored (in output space) and turned into a margin by the objective's inverse link.

use serde_json::Value;
use tickml_core::model::{
    Aggregation, Link, ThresholdWidth, CATEGORICAL, DEFAULT_LEFT, MISSING_NAN, SET_GOES_RIGHT,
};

use super::{format_err, set_bit, ImportError};
use crate::export::{number_nodes, Child, SplitSpec, TreeEnsembleSpec, TreeSpec};

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, ImportError> {
    let mut v = v;
    for key in path {
        v = v
            .get(key)
            .ok_or_else(|| format_err(format!("missing `{}`", path.join("."))))?;
    }
    Ok(v)
}

/// A number stored as a JSON number or a string (XGBoost writes parameters as strings,
/// e.g. `"5E-1"` or `"[5E-1]"` in 3.x).
fn numbers(v: &Value) -> Result<Vec<f64>, ImportError> {
    match v {
        Value::Number(n) => Ok(vec![n.as_f64().unwrap_or(f64::NAN)]),
        Value::String(s) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .map_err(|_| format_err(format!("`{s}` is not a number")))
            })
            .collect(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_f64().ok_or_else(|| format_err("not a number")))
            .collect(),
        _ => Err(format_err("expected a number")),
    }
}

fn array<'a>(tree: &'a Value, key: &str) -> Result<&'a Vec<Value>, ImportError> {
    tree.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format_err(format!("tree lacks `{key}`")))
}

fn ints(tree: &Value, key: &str) -> Result<Vec<i64>, ImportError> {
    array(tree, key)?
        .iter()
        .map(|v| {
            v.as_i64()
                .ok_or_else(|| format_err(format!("`{key}` holds a non-integer")))
        })
        .collect()
}

fn floats(tree: &Value, key: &str) -> Result<Vec<f64>, ImportError> {
    array(tree, key)?
        .iter()
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| format_err(format!("`{key}` holds a non-number")))
        })
        .collect()
}

/// The largest f32 strictly below `t`: `x < t` and `x <= below(t)` agree on every f32 `x`.
fn next_f32_below(t: f32) -> f32 {
    if t.is_nan() || t == f32::NEG_INFINITY {
        return t;
    }
    if t == 0.0 {
        return -f32::from_bits(1);
    }
    let bits = t.to_bits();
    f32::from_bits(if t > 0.0 { bits - 1 } else { bits + 1 })
}

/// Parses an XGBoost JSON model.
pub fn parse(text: &str) -> Result<TreeEnsembleSpec, ImportError> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| format_err(format!("not JSON: {e}")))?;
    let learner = field(&root, &["learner"])?;
    let booster = field(learner, &["gradient_booster"])?;
    let name = field(booster, &["name"])?.as_str().unwrap_or("");
    if name != "gbtree" {
        return Err(ImportError::Unsupported(format!(
            "booster `{name}` (only gbtree)"
        )));
    }
    let objective = field(learner, &["objective", "name"])?
        .as_str()
        .unwrap_or("");
    let params = field(learner, &["learner_model_param"])?;
    let num_feature = numbers(field(params, &["num_feature"])?)?
        .first()
        .copied()
        .unwrap_or(0.0) as usize;
    let num_class = numbers(field(params, &["num_class"])?)?
        .first()
        .copied()
        .unwrap_or(0.0) as usize;
    let base_score = numbers(field(params, &["base_score"])?)?;
    let (link, outputs) = match objective {
        "binary:logistic" => (Link::Sigmoid, 1),
        "reg:squarederror" => (Link::Identity, 1),
        "multi:softprob" | "multi:softmax" => (Link::Softmax, num_class.max(1)),
        other => {
            return Err(ImportError::Unsupported(format!(
                "XGBoost objective `{other}`"
            )))
        }
    };
    let to_margin = |p: f64| match link {
        Link::Sigmoid => (p / (1.0 - p)).ln(),
        _ => p,
    };
    let base_margin: Vec<f64> = match base_score.len() {
        1 => vec![to_margin(base_score[0]); outputs],
        n if n == outputs => base_score.iter().map(|&p| to_margin(p)).collect(),
        n => {
            return Err(format_err(format!(
                "base_score has {n} values for {outputs} outputs"
            )))
        }
    };
    let feature_names: Vec<String> = match learner.get("feature_names").and_then(Value::as_array) {
        Some(names) if !names.is_empty() => names
            .iter()
            .map(|n| n.as_str().unwrap_or("").to_string())
            .collect(),
        _ => (0..num_feature).map(|i| format!("f{i}")).collect(),
    };
    if feature_names.len() != num_feature {
        return Err(format_err("feature_names does not match num_feature"));
    }
    let model = field(booster, &["model"])?;
    let tree_info = ints(model, "tree_info")?;
    let json_trees = array(model, "trees")?;
    if tree_info.len() != json_trees.len() {
        return Err(format_err("tree_info and trees differ in length"));
    }
    let mut trees = Vec::with_capacity(json_trees.len());
    for (t, (tree, &output)) in json_trees.iter().zip(&tree_info).enumerate() {
        if output < 0 || output as usize >= outputs {
            return Err(format_err(format!("tree {t} adds to output {output}")));
        }
        let spec = parse_tree(tree, output as u16, num_feature)
            .map_err(|e| format_err(format!("tree {t}: {e}")))?;
        trees.push(spec);
    }
    Ok(TreeEnsembleSpec {
        feature_names,
        outputs: outputs as u16,
        aggregation: Aggregation::Sum,
        link,
        link_scale: 1.0,
        threshold_width: ThresholdWidth::F32,
        input_zero_threshold: 0.0,
        base_margin,
        trees,
    })
}

fn parse_tree(tree: &Value, output: u16, n_features: usize) -> Result<TreeSpec, ImportError> {
    let lefts = ints(tree, "left_children")?;
    let rights = ints(tree, "right_children")?;
    let indices = ints(tree, "split_indices")?;
    let conditions = floats(tree, "split_conditions")?;
    let default_left = ints(tree, "default_left")?;
    let split_type = tree
        .get("split_type")
        .map(|_| ints(tree, "split_type"))
        .transpose()?
        .unwrap_or_default();
    let n = lefts.len();
    if [
        rights.len(),
        indices.len(),
        conditions.len(),
        default_left.len(),
    ]
    .iter()
    .any(|&l| l != n)
        || n == 0
    {
        return Err(format_err("node arrays differ in length"));
    }
    let cat_nodes = tree
        .get("categories_nodes")
        .map(|_| ints(tree, "categories_nodes"))
        .transpose()?
        .unwrap_or_default();
    let cat_segments = tree
        .get("categories_segments")
        .map(|_| ints(tree, "categories_segments"))
        .transpose()?
        .unwrap_or_default();
    let cat_sizes = tree
        .get("categories_sizes")
        .map(|_| ints(tree, "categories_sizes"))
        .transpose()?
        .unwrap_or_default();
    let categories = tree
        .get("categories")
        .map(|_| ints(tree, "categories"))
        .transpose()?
        .unwrap_or_default();
    // leaves keep their value in `split_conditions`
    let slot = number_nodes(lefts.iter().map(|&l| l < 0));
    let leaves: Vec<f64> = (0..n)
        .filter(|&i| lefts[i] < 0)
        .map(|i| conditions[i])
        .collect();
    let n_splits = n - leaves.len();
    let at = |c: i64| -> Result<Child, ImportError> {
        usize::try_from(c)
            .ok()
            .and_then(|c| slot.get(c).copied())
            .ok_or_else(|| format_err(format!("child {c} out of range")))
    };
    let mut splits = Vec::with_capacity(n_splits);
    for i in 0..n {
        if lefts[i] < 0 {
            continue;
        }
        let feature = usize::try_from(indices[i])
            .ok()
            .filter(|&f| f < n_features)
            .ok_or_else(|| format_err(format!("node {i} uses feature {}", indices[i])))?;
        let mut flags = MISSING_NAN;
        if default_left[i] != 0 {
            flags |= DEFAULT_LEFT;
        }
        let mut threshold = 0.0;
        let mut category_bits = None;
        if split_type.get(i).copied().unwrap_or(0) == 1 {
            flags |= CATEGORICAL | SET_GOES_RIGHT;
            let k = cat_nodes
                .iter()
                .position(|&c| c == i as i64)
                .ok_or_else(|| format_err(format!("categorical node {i} has no categories")))?;
            let (start, size) = (
                cat_segments.get(k).copied().unwrap_or(-1),
                cat_sizes.get(k).copied().unwrap_or(-1),
            );
            let set = usize::try_from(start)
                .ok()
                .zip(usize::try_from(size).ok())
                .and_then(|(s, z)| categories.get(s..s + z))
                .ok_or_else(|| format_err(format!("node {i}: bad category segment")))?;
            let mut bits = Vec::new();
            for &c in set {
                let c = u32::try_from(c)
                    .map_err(|_| format_err(format!("node {i}: negative category")))?;
                set_bit(&mut bits, c);
            }
            category_bits = Some(bits);
        } else {
            let t = conditions[i] as f32;
            if t.is_nan() || t == f32::NEG_INFINITY {
                return Err(format_err(format!("node {i}: split condition {t}")));
            }
            threshold = f64::from(next_f32_below(t));
        }
        splits.push(SplitSpec {
            feature: feature as u16,
            threshold,
            categories: category_bits,
            flags,
            left: at(lefts[i])?,
            right: at(rights[i])?,
        });
    }
    Ok(TreeSpec {
        splits,
        leaves,
        root: slot[0],
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::next_f32_below;

    #[test]
    fn strict_less_becomes_less_or_equal() {
        for t in [
            1.0f32,
            -1.0,
            0.0,
            1e-40,
            -1e-40,
            3.5,
            f32::MAX,
            f32::INFINITY,
            f32::MIN_POSITIVE,
        ] {
            let below = next_f32_below(t);
            for x in [
                below,
                t,
                f32::from_bits(t.to_bits().wrapping_add(1)),
                -below,
            ] {
                if x.is_nan() {
                    continue;
                }
                assert_eq!(x < t, x <= below, "t={t} x={x}");
            }
        }
    }
}
