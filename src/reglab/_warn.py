"""Warnings that point at the user's line.

``warnings.warn(..., stacklevel=user_stacklevel())`` attributes a warning to the first frame
outside the reglab package (the user's ``model.fit(...)``, or scikit-learn's when it drives the
estimator), whatever the depth of reglab's own call chain. A fixed ``stacklevel=3`` went stale
whenever a helper was added between ``fit`` and the warning, and then pointed inside reglab.
"""

from __future__ import annotations

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` called right here that names the innermost
    frame outside reglab (1 when reglab is called from nowhere else)."""
    frame = sys._getframe(1)  # the function that will call warnings.warn: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
