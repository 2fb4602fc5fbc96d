"""CombinatorialCV against skfolio's, the corrections against statsmodels' and the
Sharpe statistics against scipy / numpy, from the committed fixtures the Rust tests read
(tests/fixtures/gen_cv.py, gen_fdr.py, gen_backtest.py)."""
import json
import math

import numpy as np
import pytest

from conftest import ROOT
from tickml import (CombinatorialCV, MultipleHypothesisCorrection, deflated_sharpe_ratio, expected_max_sharpe,
                    probabilistic_sharpe_ratio, probability_of_backtest_overfitting, sharpe_stats)


def fixture(name):
    return json.loads((ROOT / "tests" / "fixtures" / name).read_text())


def test_combinatorial_cv_equals_skfolio():
    for case in fixture("cpcv_skfolio.json"):
        cv = CombinatorialCV(case["n_folds"], case["n_test_folds"], case["purged_size"], case["embargo_size"])
        X = np.zeros((case["n_samples"], 1))
        ours = [(list(tr), list(te)) for tr, te in cv.split(X)]
        assert ours == [(s["train"], s["test"]) for s in case["splits"]]
        # skfolio: recombined_paths[fold][path] = split; ours: paths[path][fold]
        for p, path in enumerate(cv.get_paths(X)):
            for f, split in enumerate(path):
                assert split == case["recombined_paths"][f][p]
        assert cv.get_n_splits(X) == math.comb(case["n_folds"], case["n_test_folds"])


def test_corrections_equal_statsmodels():
    methods = {
        "fdr_bh": MultipleHypothesisCorrection.benjamini_hochberg,
        "fdr_by": MultipleHypothesisCorrection.benjamini_yekutieli,
        "holm": MultipleHypothesisCorrection.holm,
    }
    for case in fixture("fdr_statsmodels.json"):
        rejected, adjusted = methods[case["method"]](case["p"], case["alpha"])
        assert list(rejected) == case["rejected"]
        np.testing.assert_allclose(adjusted, case["adjusted"], rtol=1e-12, atol=0)


def test_bad_p_values_raise():
    with pytest.raises(ValueError, match="p-value 1 is 1.5"):
        MultipleHypothesisCorrection.benjamini_hochberg([0.1, 1.5])
    with pytest.raises(ValueError, match="alpha"):
        MultipleHypothesisCorrection.holm([0.1], alpha=2.0)


def test_sharpe_psr_and_dsr_equal_scipy():
    for case in fixture("backtest_reference.json")["sharpe"]:
        r = case["returns"]
        s = sharpe_stats(r, periods_per_year=252.0)
        assert s["sharpe"] == pytest.approx(case["sharpe"], rel=1e-12), case["name"]
        assert s["sharpe_annualised"] == pytest.approx(case["sharpe"] * math.sqrt(252.0), rel=1e-12)
        assert s["skew"] == pytest.approx(case["skew"], rel=1e-9)
        assert s["kurtosis"] == pytest.approx(case["kurtosis"], rel=1e-9)
        assert s["sharpe_se"] == pytest.approx(case["se"], rel=1e-9)
        assert probabilistic_sharpe_ratio(r) == pytest.approx(case["psr0"], abs=1e-10)  # the Rust bound (statrs)
        assert probabilistic_sharpe_ratio(r, 0.05) == pytest.approx(case["psr05"], abs=1e-10)
        assert expected_max_sharpe(case["trials"], case["variance"]) == pytest.approx(case["sr0"], rel=1e-10)
        assert deflated_sharpe_ratio(r, case["trials"], case["variance"]) == pytest.approx(case["dsr"], abs=1e-10)


def test_pbo_equals_the_reference_cscv():
    for case in fixture("backtest_reference.json")["pbo"]:
        p = probability_of_backtest_overfitting(np.array(case["matrix"]), case["splits"])
        assert p["pbo"] == case["pbo"], case["name"]
        np.testing.assert_allclose(p["logits"], case["logits"], rtol=0, atol=1e-12)
        assert p["degradation_slope"] == pytest.approx(case["degradation_slope"], abs=1e-12)
        assert p["prob_oos_loss"] == case["prob_oos_loss"]
    with pytest.raises(ValueError, match="even"):
        probability_of_backtest_overfitting(np.zeros((20, 3)), 3)
