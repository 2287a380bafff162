#!/usr/bin/env python
"""The peer project's manage.py: ``PEER_VARIANT`` (bare, flowscope, otel) picks what runs."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
