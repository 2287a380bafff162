"""Content negotiation of flowscope's API: by ``Accept``, never by ``?format=``."""

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings


class _WithoutFormatOverride:
    """DRF's settings, less the ``?format=`` override."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class AcceptNegotiation(DefaultContentNegotiation):
    """DRF reads ``?format=`` as a renderer's name and answers 404 to one it does not know:
    a query parameter must not turn an endpoint into a 404 (the reports' export reads
    ``format`` as the file's format, on its own)."""

    settings = _WithoutFormatOverride()
