"""WSGI entry point. The OpenTelemetry variant is instrumented in ``peer.gunicorn_conf``
(after gunicorn forks the worker, as OpenTelemetry documents for gunicorn), not here."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")

application = get_wsgi_application()
