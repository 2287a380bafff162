"""Moved to ``flowscope.recording.lifespan``; this import path keeps older ``asgi.py``
files working and will go in a later release."""

import warnings

from flowscope.recording.lifespan import flowscope_lifespan

__all__ = ["flowscope_lifespan"]

warnings.warn(
    "flowscope.capture.lifespan moved to flowscope.recording.lifespan",
    DeprecationWarning,
    stacklevel=2,
)
