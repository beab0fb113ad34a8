"""Names a package exports but loads on first use (PEP 562), so importing it costs nothing.

``bot.ice`` and ``bot.render`` use it: the Slack ack imports them for an enum or one view
without paying for the models, httpx or every other view.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def exports(
    package: str, where: Mapping[str, tuple[str, ...]], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__`` for ``where`` (module -> names);
    a loaded name is cached in ``namespace`` (the package's globals), so it is looked up once."""
    module_of = {name: module for module, names in where.items() for name in names}

    def getattr_(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(module_of)

    return getattr_, dir_
