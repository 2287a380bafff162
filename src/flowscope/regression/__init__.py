"""Regression tests from captured workflows: a workflow's stored requests written out as a
Django test for the host's own suite (``export``), in Python laid out as ruff and black
lay it out (``source``)."""
