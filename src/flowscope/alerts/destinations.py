"""Where alerts go: one e-mail to ALERT_EMAILS through Django's mail backend, and a POST of
Slack-compatible JSON to each of ALERT_WEBHOOKS. A destination raises on failure; the
courier retries, counts and logs."""

import json
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail

from flowscope.conf import flowscope_settings

SUBJECT_LENGTH = 150


class Email:
    name = "email"

    def __init__(self, addresses):
        self.addresses = list(addresses)
        self.target = ", ".join(self.addresses)

    def send(self, event):
        subject = f"[flowscope] {event.message}"
        if len(subject) > SUBJECT_LENGTH:
            subject = subject[: SUBJECT_LENGTH - 1] + "…"
        sender = flowscope_settings.ALERT_EMAIL_FROM or settings.DEFAULT_FROM_EMAIL
        send_mail(subject, body_of(event), sender, self.addresses)


class Webhook:
    name = "webhook"

    def __init__(self, url):
        self.url = url
        # The host only: a webhook URL's path is often its secret (Slack's are).
        self.target = urlsplit(url).hostname or ""

    def send(self, event):
        body = json.dumps(payload_of(event)).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        timeout = flowscope_settings.ALERT_WEBHOOK_TIMEOUT
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()  # an HTTP error status raises HTTPError


def configured():
    """The destinations the settings name, in order: e-mail first, then each webhook."""
    found = []
    if flowscope_settings.ALERT_EMAILS:
        found.append(Email(flowscope_settings.ALERT_EMAILS))
    found += [Webhook(url) for url in flowscope_settings.ALERT_WEBHOOKS]
    return found


def body_of(event):
    lines = [event.message, "", f"Rule: {event.rule} ({event.kind})", f"Subject: {event.subject}"]
    lines.append(f"Fired at: {event.first_fired_at.isoformat()}")
    lines += [f"{key}: {value}" for key, value in sorted(event.details.items())]
    return "\n".join(lines) + "\n"


def payload_of(event):
    """``text`` for Slack and the like; the same facts as fields for other receivers."""
    return {
        "text": f"[flowscope] {event.message}",
        "alert": {
            "id": event.pk,
            "rule": event.rule,
            "kind": event.kind,
            "subject": event.subject,
            "value": event.value,
            "threshold": event.threshold,
            "unit": event.unit,
            "fired_at": event.first_fired_at.isoformat(),
            "details": event.details,
        },
    }
