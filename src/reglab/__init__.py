"""reglab: regression and neural networks on tabular data.

The public API is re-exported here explicitly; ``reglab.__all__`` lists it. Each subpackage keeps its
own ``__all__`` and this module gathers them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
