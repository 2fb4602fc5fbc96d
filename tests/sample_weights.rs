//! Sample weights through every learner, against the naive equivalent: a row of integer
//! weight k fitted once must give the model fitted on that row repeated k times (and a
//! row of weight 0 the model without it). Bin edges are weighted quantiles, so repeating
//! rows moves no edge, and `min_samples_leaf` is 1, so counting rows and counting weight
//! agree.

mod common;

use tickml_train::models::{Matrix, ModelConfig, ModelFactory, ModelType, Task};

const COLS: usize = 10;

/// (inputs, class label, value label) of the first `n` rows of the learners' fixture.
fn rows(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = csv::Reader::from_path(common::repo_path("tests/fixtures/learners.csv")).unwrap();
    let (mut x, mut yc, mut yv) = (vec![], vec![], vec![]);
    for rec in r.records().take(n) {
        let v: Vec<f64> = rec.unwrap().iter().map(|c| c.parse().unwrap()).collect();
        x.extend(&v[..COLS]);
        yc.push(v[11]);
        yv.push(v[12]);
    }
    (x, yc, yv)
}

#[test]
fn integer_weights_equal_repeated_rows() {
    let n = 600;
    let (x, y_class, y_value) = rows(n);
    let weights: Vec<f64> = (0..n).map(|i| ((i * 7) % 4) as f64).collect();
    let repeat = |v: &[f64], width: usize| -> Vec<f64> {
        (0..n)
            .flat_map(|i| {
                std::iter::repeat_n(&v[i * width..(i + 1) * width], weights[i] as usize).flatten()
            })
            .copied()
            .collect()
    };
    let names: Vec<String> = (0..COLS).map(|c| format!("x{c}")).collect();
    let config = ModelConfig {
        n_estimators: 20,
        min_samples_leaf: 1,
        alpha: 0.05,
        ..ModelConfig::default()
    };
    let cases = [
        (
            ModelType::LogisticRegression,
            Task::Classification,
            &y_class,
        ),
        (ModelType::GradientBoosting, Task::Classification, &y_class),
        (ModelType::DecisionTree, Task::Classification, &y_class),
        (ModelType::Ridge, Task::Regression, &y_value),
        (ModelType::ElasticNet, Task::Regression, &y_value),
        (ModelType::Lasso, Task::Regression, &y_value),
        (ModelType::GradientBoosting, Task::Regression, &y_value),
    ];
    let all = Matrix {
        values: &x,
        cols: COLS,
    };
    let (xr, cases_r) = (
        repeat(&x, COLS),
        cases.map(|(m, t, y)| (m, t, repeat(y, 1))),
    );
    for ((model, task, y), (_, _, yr)) in cases.iter().zip(&cases_r) {
        let estimator = ModelFactory::create(*model, &config, *task).unwrap();
        let weighted = estimator
            .fit_weighted(&all, y, Some(&weights), &names)
            .unwrap();
        let repeated = estimator
            .fit(
                &Matrix {
                    values: &xr,
                    cols: COLS,
                },
                yr,
                &names,
            )
            .unwrap();
        // compared on the rows fitted: a row of weight 0 is out of sample, and where two
        // features split a small node's rows identically, which of them a fit names is
        // rounding noise that such a row would see
        let (a, b) = (weighted.predict(&all), repeated.predict(&all));
        let fitted = |v: Vec<f64>| -> Vec<f64> {
            v.into_iter()
                .zip(&weights)
                .filter(|(_, w)| **w > 0.0)
                .map(|(p, _)| p)
                .collect()
        };
        let (a, b) = (fitted(a), fitted(b));
        let scale = b.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
        let worst = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-8 * scale, "{model:?} {task:?}: {worst:e}");
        let unweighted = fitted(estimator.fit(&all, y, &names).unwrap().predict(&all));
        assert!(
            unweighted
                .iter()
                .zip(&a)
                .any(|(p, q)| (p - q).abs() > 1e-6 * scale),
            "{model:?} {task:?}: the weights change nothing"
        );
    }
}

#[test]
fn bad_weights_are_refused() {
    let (x, y, _) = rows(50);
    let names: Vec<String> = (0..COLS).map(|c| format!("x{c}")).collect();
    let m = Matrix {
        values: &x,
        cols: COLS,
    };
    let estimator =
        ModelFactory::create(ModelType::Ridge, &ModelConfig::default(), Task::Regression).unwrap();
    for (weights, message) in [
        (vec![1.0; 49], "49 weights for 50 labels"),
        (vec![0.0; 50], "every sample weight is 0"),
        (
            [vec![1.0; 3], vec![-1.0], vec![1.0; 46]].concat(),
            "sample weight 3 is -1",
        ),
        (
            [vec![f64::NAN], vec![1.0; 49]].concat(),
            "sample weight 0 is NaN",
        ),
    ] {
        let err = estimator
            .fit_weighted(&m, &y, Some(&weights), &names)
            .unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }
}
