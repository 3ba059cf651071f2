"""The README's library example runs as written (the user's first contact must stay true)."""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README lost its python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of the short MLP runs are expected
        exec(compile(blocks[0], "README.md", "exec"), namespace)
    # the values the README's comments promise
    assert abs(namespace["softmax"](__import__("numpy").array([6.0, -2.0, 3.0]))[0] - 0.952) < 5e-4
    assert abs(namespace["ols"].coef_[0] - namespace["gd"].coef[0]) < 1e-3
    assert namespace["nb"].family_.alpha > 0
