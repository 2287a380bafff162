"""Flowscope: end-to-end workflow debugging for Django applications."""

from flowscope.capture.steps import step

__all__ = ["step"]
__version__ = "0.1.0"
