"""aicxs: policy as code for the AI in Customer Experience Standard (AICXS 2024)."""

from aicxs.engine import load_policy, load_standard

__all__ = ["load_policy", "load_standard"]
