"""A factor level not seen in fitting is an error on every formula predict path (R: 'factor g has
new level typo'), with the words of the CLI's check of one-hot text columns."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from reglab.io import load_model, save_model
from reglab.models.glm import GLM
from reglab.models.linear import LinearRegression
from reglab.models.logistic import LogisticRegression

RNG = np.random.default_rng(7)
DF = pd.DataFrame({"x": RNG.normal(size=90), "g": RNG.choice(["a", "b", "c"], 90),
                   "k": RNG.choice([1, 2, 3], 90)})
DF["y"] = 1 + 2 * (DF.g == "b") + 5 * (DF.g == "c") + RNG.normal(size=90)
NEW = pd.DataFrame({"x": [0.0] * 4, "g": ["a", "b", "c", "typo"], "k": [1, 2, 3, 3]})
ONE = "column 'g' has level 'typo' in row 3 that was not in the training data (levels: a, b, c)"


def _raises(message, thunk):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no formulaic warning on the way
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            thunk()


@pytest.mark.parametrize("formula", ["y ~ x + g", "y ~ C(g)", "y ~ x:g", "y ~ C(g, contr.sum)"])
def test_unseen_level_is_an_error_naming_column_row_and_levels(formula):
    m = LinearRegression.from_formula(formula, DF)
    _raises(ONE, lambda: m.predict(NEW))


def test_every_predict_path_refuses_it(tmp_path):
    m = LinearRegression.from_formula("y ~ x + g", DF)
    _raises(ONE, lambda: m.predict(NEW, interval="prediction"))
    _raises(ONE, lambda: m.score(NEW, np.zeros(4)))
    save_model(m, tmp_path / "m.reglab")
    _raises(ONE, lambda: load_model(tmp_path / "m.reglab").model.predict(NEW))
    glm = GLM.from_formula("y ~ x + g", DF, family="gaussian")
    _raises(ONE, lambda: glm.predict(NEW))
    logit = LogisticRegression.from_formula("yb ~ x + g", DF.assign(yb=RNG.random(90) < 0.5))
    _raises(ONE, lambda: logit.predict_proba(NEW))


def test_several_unseen_levels_each_with_its_first_row_and_index_label():
    m = LinearRegression.from_formula("y ~ x + g", DF)
    new = NEW.assign(g=["zz", "a", "typo", "zz"]).set_axis([10, 11, 12, 13])
    _raises("column 'g' has levels 'zz' (row 10), 'typo' (row 12) that were not in the training "
            "data (levels: a, b, c)", lambda: m.predict(new))
    m = LinearRegression.from_formula("y ~ C(k)", DF)
    _raises("column 'k' has level 4 in row 1 that was not in the training data (levels: 1, 2, "
            "3)", lambda: m.predict(NEW.assign(k=[1, 4, 2, 3])))


def test_seen_levels_in_any_subset_predict_as_before():
    m = LinearRegression.from_formula("y ~ x + g", DF)
    b0, b = m.intercept_, m.coef_  # coef_: x, g[T.b], g[T.c]
    ref = np.array([b0, b0 + b[1], b0 + b[2]])
    out = m.predict(pd.DataFrame({"x": [0.0] * 3, "g": ["c", "a", "b"]}))
    np.testing.assert_allclose(out, ref[[2, 0, 1]], rtol=1e-12)


def test_an_expression_factor_still_errors_through_formulaic():
    m = LinearRegression.from_formula("y ~ C(g + '')", DF)
    with pytest.raises(ValueError, match=r"^cannot apply formula \"y ~ C\(g \+ ''\)\" to the new "
                                         r"data: Data has categories outside of the nominated"):
        m.predict(NEW)


def test_cli_predict_words_it_the_same(tmp_path, capsys):
    # the CLI checks the saved schema's levels before the model sees the rows (one-hot text
    # columns and --formula alike): the formula path's message is the same sentence
    from reglab.cli import main

    DF.to_csv(tmp_path / "train.csv", index=False)
    NEW.to_csv(tmp_path / "new.csv", index=False)
    for formula in ([], ["--formula", "y ~ x + g"]):
        assert main(["fit", str(tmp_path / "train.csv"), "-t", "y", "--model", "linear",
                     "--save", str(tmp_path / "m.reglab"), "-q", *formula]) == 0
        capsys.readouterr()
        assert main(["predict", str(tmp_path / "m.reglab"), str(tmp_path / "new.csv")]) != 0
        # (the CLI adds the file's line to the row; a DataFrame has no lines)
        assert capsys.readouterr().err.strip() == "error: " + ONE.replace("in row 3",
                                                                         "in row 3 (line 5)")


def test_gam_formula_refuses_an_unseen_level_of_a_factor_expression():
    """GAM's formula path: a factor given as C(g) (a linear formula term) is checked too; a
    plain factor column already was (the GAM's own Factor term)."""
    from reglab.models.gam import GAM

    m = GAM.from_formula("y ~ s(x, k=5) + C(g)", DF)
    _raises(ONE, lambda: m.predict(NEW))
    np.testing.assert_allclose(m.predict(NEW.iloc[:3]), m.predict(DF.iloc[[0]].assign(
        x=0.0, g="a")).tolist() + m.predict(pd.DataFrame({"x": [0.0, 0.0], "g": ["b", "c"],
                                                        "k": [1, 1]})).tolist(), rtol=1e-12)
