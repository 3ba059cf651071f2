"""The top-level package re-exports the public API and stays light to import."""

import subprocess
import sys

import reglab


def test_all_names_resolve():
    missing = [name for name in reglab.__all__ if not hasattr(reglab, name)]
    assert missing == []
    assert len(set(reglab.__all__)) == len(reglab.__all__)


def test_issue_examples_import():
    from reglab import GLM, MLPClassifier, softmax  # noqa: F401  (the issue's own example)

    assert callable(softmax)


def test_import_does_not_pull_optional_heavy_packages():
    heavy = "('jax', 'numpyro', 'torch', 'starlette')"
    code = f"import sys, reglab; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
