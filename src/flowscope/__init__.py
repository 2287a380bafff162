"""Flowscope: end-to-end workflow debugging for Django applications."""

__version__ = "0.1.0"
