"""Reading an ingest body within limits: size (also after gzip inflation) and nesting."""

import zlib

from rest_framework import status
from rest_framework.exceptions import APIException, ParseError

from flowscope.conf import flowscope_settings


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is too large."
    default_code = "too_large"


def too_large(size=None):
    limit = flowscope_settings.INGEST_MAX_BYTES
    return PayloadTooLarge(
        f"The body is over the limit of {limit} bytes" + (f" ({size} bytes)." if size else ".")
    )


def read_body(request):
    """The request body, inflated if gzip, never larger than ``INGEST_MAX_BYTES``.

    A body announced larger is refused before a byte of it is read; one sent without a
    length is cut off past the limit by ``flowscope.ingest.asgi`` under ASGI, so its size
    is not known here.
    """
    limit = flowscope_settings.INGEST_MAX_BYTES
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > limit:
        raise too_large(declared)
    body = request.body
    if len(body) > limit:
        raise too_large()
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        return inflate(body, limit)
    if encoding not in ("", "identity"):
        raise ParseError(f"Unsupported Content-Encoding {encoding!r}: use gzip or none.")
    return body


def inflate(body, limit):
    """Gzip inflation that stops at ``limit`` bytes: a small bomb cannot expand."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ParseError(f"The body is not valid gzip: {exc}.") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise too_large()
    return data
