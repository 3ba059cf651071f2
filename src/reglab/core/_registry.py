"""Name resolution shared by the core registries (activations, links, families, losses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def registry_key(name: str, registry: Mapping[str, Any], aliases: Mapping[str, str],
                 kind: str) -> str:
    """The registry key for ``name``: case-insensitive, ``-`` read as ``_``, aliases followed.

    Raises ValueError naming the unknown ``kind`` and listing every accepted name.
    """
    key = name.lower().replace("-", "_")
    key = aliases.get(key, key)
    if key not in registry:
        known = ", ".join(sorted([*registry, *aliases]))
        raise ValueError(f"unknown {kind} {name!r}; known: {known}")
    return key
