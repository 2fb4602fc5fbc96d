//! smartcore's decision tree and random forest, exported by reading the fitted nodes
//! from smartcore's serde representation. smartcore goes left (its `true_child`) iff
//! `x <= split_value`, which is the core's rule; NaN fails that test and goes right
//! (`MISSING_NAN` without `DEFAULT_LEFT`). Leaves hold the predicted class (0 or 1); the
//! forest averages its trees' votes.

use serde_json::Value;
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters,
};
use tickml_core::model::{Aggregation, Link, ThresholdWidth, MISSING_NAN};

use super::{
    smartcore_err, Estimator, Export, Matrix, ModelType, NativePredictor, TrainError, TrainedModel,
};
use crate::export::{number_nodes, SplitSpec, TreeEnsembleSpec, TreeSpec};

/// Converts one serialised smartcore tree (`nodes`, `classes`) into a tree of class
/// values, and adds its impurity decrease per feature to `importance`.
fn convert(tree: &Value, importance: &mut [f64]) -> Result<TreeSpec, TrainError> {
    let bad = |what: &str| TrainError::Smartcore(format!("unexpected tree representation: {what}"));
    let nodes = tree
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no nodes"))?;
    let classes: Vec<f64> = tree
        .get("classes")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no classes"))?
        .iter()
        .map(|c| c.as_f64().unwrap_or(f64::NAN))
        .collect();
    let child = |n: &Value, key: &str| n.get(key).and_then(Value::as_u64).map(|c| c as usize);
    let is_leaf = |n: &Value| child(n, "true_child").is_none() && child(n, "false_child").is_none();
    let slot = number_nodes(nodes.iter().map(is_leaf));
    let mut leaves = Vec::new();
    for n in nodes.iter().filter(|n| is_leaf(n)) {
        let output = n
            .get("output")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("leaf output"))? as usize;
        leaves.push(*classes.get(output).ok_or_else(|| bad("class index"))?);
    }
    let n_splits = nodes.len() - leaves.len();
    let total = nodes
        .first()
        .and_then(|n| n.get("n_node_samples"))
        .and_then(Value::as_f64)
        .unwrap_or(1.0);
    let mut splits = Vec::with_capacity(n_splits);
    for n in nodes.iter().filter(|n| !is_leaf(n)) {
        let (l, r) = (
            child(n, "true_child").ok_or_else(|| bad("true_child"))?,
            child(n, "false_child").ok_or_else(|| bad("false_child"))?,
        );
        let feature = n
            .get("split_feature")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("split_feature"))? as usize;
        let threshold = n
            .get("split_value")
            .and_then(Value::as_f64)
            .ok_or_else(|| bad("split_value"))?;
        let weighted = |id: usize| {
            let m = &nodes[id];
            m.get("n_node_samples")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                * m.get("impurity").and_then(Value::as_f64).unwrap_or(0.0)
        };
        let own = n
            .get("n_node_samples")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
            * n.get("impurity").and_then(Value::as_f64).unwrap_or(0.0);
        if let Some(imp) = importance.get_mut(feature) {
            *imp += (own - weighted(l) - weighted(r)) / total;
        }
        splits.push(SplitSpec {
            feature: feature as u16,
            threshold,
            categories: None,
            flags: MISSING_NAN,
            left: *slot.get(l).ok_or_else(|| bad("child"))?,
            right: *slot.get(r).ok_or_else(|| bad("child"))?,
        });
    }
    Ok(TreeSpec {
        splits,
        leaves,
        root: *slot.first().ok_or_else(|| bad("empty tree"))?,
        output: 0,
    })
}

pub(super) fn fit(
    est: &Estimator,
    x: &Matrix,
    y: &[f64],
    names: &[String],
) -> Result<TrainedModel, TrainError> {
    if x.values.iter().any(|v| v.is_nan()) {
        return Err(TrainError::Data(
            "smartcore trees need complete rows (no NaN)".into(),
        ));
    }
    let rows: Vec<Vec<f64>> = (0..x.rows()).map(|r| x.row(r).to_vec()).collect();
    let xm = DenseMatrix::from_2d_vec(&rows).map_err(smartcore_err)?;
    let labels: Vec<u32> = y.iter().map(|&v| v as u32).collect();
    let c = est.config;
    let (trees_json, own): (Vec<Value>, NativePredictor) = match est.model_type {
        ModelType::DecisionTree => {
            let params = DecisionTreeClassifierParameters::default()
                .with_max_depth(c.max_depth)
                .with_min_samples_leaf(c.min_samples_leaf);
            let m = DecisionTreeClassifier::fit(&xm, &labels, params).map_err(smartcore_err)?;
            let json = serde_json::to_value(&m).map_err(smartcore_err)?;
            let own =
                move |x: &Matrix| predict_classes(x, |xm| m.predict(xm).map_err(smartcore_err));
            (vec![json], Box::new(own))
        }
        ModelType::RandomForest => {
            let m_features = ((x.cols as f64).sqrt().floor() as usize).max(1);
            let params = RandomForestClassifierParameters::default()
                .with_n_trees(c.n_estimators)
                .with_max_depth(c.max_depth)
                .with_min_samples_leaf(c.min_samples_leaf)
                .with_m(m_features)
                .with_seed(c.seed);
            let m = RandomForestClassifier::fit(&xm, &labels, params).map_err(smartcore_err)?;
            let json = serde_json::to_value(&m).map_err(smartcore_err)?;
            let trees = json
                .get("trees")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| TrainError::Smartcore("forest without trees".into()))?;
            // smartcore's forest predicts the majority class only; its own trees give the
            // vote share, the probability the blob (a mean of 0/1 leaves) computes
            let members: Vec<SmartTree> = trees
                .iter()
                .map(|t| serde_json::from_value(t.clone()).map_err(smartcore_err))
                .collect::<Result<_, _>>()?;
            let own = move |x: &Matrix| vote_share(x, &members);
            (trees, Box::new(own) as NativePredictor)
        }
        other => {
            return Err(TrainError::Data(format!(
                "{} is not a smartcore tree",
                other.name()
            )))
        }
    };
    let mut importance = vec![0.0; x.cols];
    let trees = trees_json
        .iter()
        .map(|t| convert(t, &mut importance))
        .collect::<Result<Vec<_>, _>>()?;
    let total: f64 = importance.iter().sum();
    if total > 0.0 {
        importance.iter_mut().for_each(|v| *v /= total);
    }
    let spec = TreeEnsembleSpec {
        feature_names: names.to_vec(),
        outputs: 1,
        aggregation: Aggregation::Mean,
        link: Link::Identity,
        link_scale: 1.0,
        threshold_width: ThresholdWidth::F64,
        input_zero_threshold: 0.0,
        base_margin: vec![0.0],
        trees,
    };
    Ok(TrainedModel {
        model_type: est.model_type,
        task: est.task,
        native: own,
        export: Export::Trees(spec),
        importance: Some(importance),
    })
}

/// One smartcore classification tree, as the forest holds them.
type SmartTree = DecisionTreeClassifier<f64, u32, DenseMatrix<f64>, Vec<u32>>;

/// The share of `trees` predicting class 1 per row; NaN rows where smartcore fails.
fn vote_share(x: &Matrix, trees: &[SmartTree]) -> Vec<f64> {
    let rows: Vec<Vec<f64>> = (0..x.rows()).map(|r| x.row(r).to_vec()).collect();
    let Ok(m) = DenseMatrix::from_2d_vec(&rows) else {
        return vec![f64::NAN; x.rows()];
    };
    let mut votes = vec![0.0; x.rows()];
    for tree in trees {
        match tree.predict(&m) {
            Ok(classes) => votes
                .iter_mut()
                .zip(classes)
                .for_each(|(v, c)| *v += f64::from(c)),
            Err(_) => return vec![f64::NAN; x.rows()],
        }
    }
    let n = trees.len().max(1) as f64;
    votes.into_iter().map(|v| v / n).collect()
}

/// smartcore's predicted classes (0/1) as f64; NaN rows where smartcore fails.
fn predict_classes(
    x: &Matrix,
    predict: impl Fn(&DenseMatrix<f64>) -> Result<Vec<u32>, TrainError>,
) -> Vec<f64> {
    let rows: Vec<Vec<f64>> = (0..x.rows()).map(|r| x.row(r).to_vec()).collect();
    DenseMatrix::from_2d_vec(&rows)
        .ok()
        .and_then(|m| predict(&m).ok())
        .map_or_else(
            || vec![f64::NAN; x.rows()],
            |c| c.into_iter().map(f64::from).collect(),
        )
}
