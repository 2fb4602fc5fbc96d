"""CombinatorialCV against skfolio's and the corrections against statsmodels', from the
committed fixtures the Rust tests read (tests/fixtures/gen_cv.py, gen_fdr.py)."""
import json
import math

import numpy as np
import pytest

from conftest import ROOT
from tickml import CombinatorialCV, MultipleHypothesisCorrection


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
