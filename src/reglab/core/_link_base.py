"""The :class:`Link` base class and the array helpers every link shares.

See :mod:`reglab.core.links` for the concrete links, their formulas and the ``LINKS`` registry;
this module holds the contract: the public methods that take any array and the five ``_`` methods
subclasses implement on floating arrays of namespace ``xp``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from . import _xp

__all__ = ["Link"]


def _eps(x: Any, xp: Any) -> float:
    return float(xp.finfo(x.dtype).eps)


def _prep(x: Any) -> tuple[Any, Any]:
    x = _xp.as_float(x)
    return _xp.namespace(x), x


class Link(ABC):
    """Base class: subclasses implement the five ``_`` methods on floating arrays.

    ``domain`` names the valid means: ``"real"``, ``"positive"``, ``"unit"`` (0 < mu < 1) or
    ``"simplex"`` (rows of probabilities).
    """

    name: ClassVar[str] = ""
    domain: ClassVar[str] = "real"

    def link(self, mu: Any) -> Any:
        """``eta = g(mu)``."""
        xp, mu = _prep(mu)
        return self._link(xp, mu)

    def inverse(self, eta: Any) -> Any:
        """``mu = g^{-1}(eta)``."""
        xp, eta = _prep(eta)
        return self._inverse(xp, eta)

    def derivative(self, mu: Any) -> Any:
        """``d eta / d mu = g'(mu)``."""
        xp, mu = _prep(mu)
        return self._derivative(xp, mu)

    def inverse_derivative(self, eta: Any) -> Any:
        """``d mu / d eta = 1 / g'(g^{-1}(eta))``."""
        xp, eta = _prep(eta)
        return self._inverse_derivative(xp, eta)

    def inverse_second_derivative(self, eta: Any) -> Any:
        """``d^2 mu / d eta^2``."""
        xp, eta = _prep(eta)
        return self._inverse_second_derivative(xp, eta)

    def log_inverse(self, eta: Any) -> Any:
        """``log mu``; links whose mean underflows override it with an exact form."""
        return _xp.namespace(eta).log(self.inverse(eta))

    def log1m_inverse(self, eta: Any) -> Any:
        """``log(1 - mu)`` (binomial links only)."""
        return _xp.namespace(eta).log1p(-self.inverse(eta))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(self.name)

    @abstractmethod
    def _link(self, xp: Any, mu: Any) -> Any: ...

    @abstractmethod
    def _inverse(self, xp: Any, eta: Any) -> Any: ...

    @abstractmethod
    def _derivative(self, xp: Any, mu: Any) -> Any: ...

    @abstractmethod
    def _inverse_derivative(self, xp: Any, eta: Any) -> Any: ...

    @abstractmethod
    def _inverse_second_derivative(self, xp: Any, eta: Any) -> Any: ...
