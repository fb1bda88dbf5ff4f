"""The bundled standards, as `.aicx` files shipped with the package, and how to name them.

A bundled standard is named by its id and version in any of the usual spellings (`AICXS-2024`,
`AICXS 2024`, `aicxs-2024`), or by the path messages show for it (`spec/aicxs-2024.aicx`), which
works from any folder once the package is installed.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

_NAME = re.compile(r"([A-Za-z][A-Za-z0-9_]*)[ -]([0-9]{4}(?:\.[0-9]+)?)", re.ASCII)


def _folder() -> Path:
    return Path(str(resources.files(__name__)))


def bundled_path(standard_id: str, version: int | str) -> Path | None:
    """The bundled file of a standard such as `AICXS 2024`, if the package ships it."""
    path = _folder() / f"{standard_id.lower()}-{version}.aicx"
    return path if path.is_file() else None


def bundled() -> list[Path]:
    """Every bundled standard file."""
    return sorted(_folder().glob("*.aicx"))


def bundled_names() -> list[str]:
    """The names of the bundled standards, e.g. `AICXS-2024`."""
    return [p.stem.upper() for p in bundled()]


def by_name(name: str) -> Path | None:
    """The bundled file a name such as `AICXS-2024` or `spec/aicxs-2024.aicx` stands for."""
    if name.startswith("spec/") and name.endswith(".aicx"):
        path = _folder() / name.removeprefix("spec/")
        return path if path.is_file() and "/" not in name[5:] else None
    m = _NAME.fullmatch(name.strip())
    return bundled_path(m.group(1), m.group(2)) if m else None


def display_name(path: Path) -> str:
    """How messages name a standard file: bundled ones as `spec/<file>` wherever installed."""
    try:
        resolved = path.resolve()
        folder = _folder().resolve()
    except OSError:
        return str(path)
    return f"spec/{path.name}" if resolved.parent == folder else str(path)
