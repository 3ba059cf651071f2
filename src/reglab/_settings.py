"""``KEY=VALUE`` settings from the command line applied to an estimator's parameters.

``reglab fit --set hidden_layer_sizes=64,64 --set max_iter=500`` sets those constructor
parameters. Values are read as Python literals where they parse (``64,64`` is the tuple
``(64, 64)``, ``1e-4`` a float, ``True``/``None`` themselves) and as text otherwise
(``activation=tanh``). Unknown keys are refused by name, listing the estimator's parameters.
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["parse_settings", "apply_settings"]


def parse_settings(pairs: list[str] | None) -> dict[str, Any]:
    """``["k=v", ...]`` -> ``{k: value}``; raises ValueError naming a malformed pair."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"--set needs KEY=VALUE with a parameter name as KEY, got {pair!r}")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        out[key] = value
    return out


def apply_settings(estimator: Any, settings: dict[str, Any]) -> Any:
    """``estimator.set_params(**settings)`` after checking every key is one of its parameters."""
    if not settings:
        return estimator
    known = estimator.get_params(deep=False)
    unknown = [k for k in settings if k not in known]
    if unknown:
        raise ValueError(f"{type(estimator).__name__} has no parameter "
                         f"{', '.join(map(repr, unknown))}; its parameters are "
                         f"{', '.join(sorted(known))}")
    return estimator.set_params(**settings)
