"""Flowscope: end-to-end workflow debugging for Django applications."""

from flowscope.capture.steps import annotate, step
from flowscope.synthetic import is_synthetic

__all__ = ["annotate", "is_synthetic", "step"]
__version__ = "0.1.0"
