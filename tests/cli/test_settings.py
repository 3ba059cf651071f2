"""``reglab fit --set KEY=VALUE``: model parameters from the command line."""

import pytest

from reglab._settings import apply_settings, parse_settings
from reglab.io import load_model
from reglab.models.mlp import MLPClassifier


@pytest.mark.parametrize("pair,value", [
    ("hidden_layer_sizes=64,64", (64, 64)), ("max_iter=500", 500), ("alpha=1e-4", 1e-4),
    ("activation=tanh", "tanh"), ("early_stopping=True", True), ("init=None", None),
    ("activation=['relu', 'tanh']", ["relu", "tanh"]), (" tol = 0.5 ", 0.5),
])
def test_values_are_literals_else_text(pair, value):
    key = pair.split("=")[0].strip()
    assert parse_settings([pair]) == {key: value}


@pytest.mark.parametrize("pair", ["max_iter", "=3", "max iter=3", "1x=2"])
def test_malformed_pairs_are_refused_by_name(pair):
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_settings([pair])


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"MLPClassifier has no parameter 'hiden'; its "
                                         r"parameters are activation, alpha"):
        apply_settings(MLPClassifier(), {"hiden": 3})


def test_fit_with_settings_builds_that_model_and_saves_it(tmp_path, run):
    path = tmp_path / "m.reglab"
    code, out, err = run("fit", "builtin:spiral", "--model", "mlp", "--set",
                         "hidden_layer_sizes=12,6", "--set", "activation=tanh", "--set",
                         "max_iter=15", "--save", path, "-q")
    assert code == 0, err
    assert "2 -> 12 tanh" in out and "12 -> 6 tanh" in out and "15 epochs run" in out
    model = load_model(path).model
    assert model.hidden_layer_sizes == (12, 6) and model.max_iter == 15


def test_fit_with_a_bad_setting_is_one_line_exit_1(run):
    code, out, err = run("fit", "builtin:line", "--model", "linear", "--set", "degree=2")
    assert code == 1
    assert "LinearRegression has no parameter 'degree'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
