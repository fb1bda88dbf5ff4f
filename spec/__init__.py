"""The bundled standards, as `.aicx` files shipped with the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_path(standard_id: str, version: int) -> Path | None:
    """The bundled file of a standard such as `AICXS 2024`, if the package ships it."""
    path = Path(str(resources.files(__name__).joinpath(f"{standard_id.lower()}-{version}.aicx")))
    return path if path.is_file() else None


def bundled() -> list[Path]:
    """Every bundled standard file."""
    folder = Path(str(resources.files(__name__)))
    return sorted(folder.glob("*.aicx"))


def display_name(path: Path) -> str:
    """How messages name a standard file: bundled ones as `spec/<file>` wherever installed."""
    folder = Path(str(resources.files(__name__))).resolve()
    try:
        resolved = path.resolve()
    except OSError:
        return str(path)
    return f"spec/{path.name}" if resolved.parent == folder else str(path)
