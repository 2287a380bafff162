"""Numbered live events, so that a socket can tell when some never reached it.

A channel layer drops a group message for a socket whose channel is full (a slow client, a
stalled server) and says nothing: neither the in-memory layer nor channels-redis raises for
a group. So each publisher numbers what it sends to each group (``Numbering``), and each
socket checks the numbers it receives (``GapFinder``): a gap is counted, and the client is
told to catch up over HTTP, as after a channel-layer outage.
"""

import os
import secrets
import threading


class Numbering:
    """The publisher's side: ``stamp(group)`` gives the next number of that group, under a
    name of this process's publisher (numbers start again in a new or forked process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = self._source = None
        self._last = {}

    def stamp(self, group):
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._source, self._last = os.getpid(), secrets.token_hex(6), {}
            number = self._last[group] = self._last.get(group, 0) + 1
        return {"group": group, "source": self._source, "seq": number}


class GapFinder:
    """A socket's side: how many messages of a group went missing before this one."""

    def __init__(self):
        self._last = {}  # (source, group) -> the last number received

    def missed(self, message):
        number = message.get("seq")
        if number is None:  # not numbered: sent by a publisher that does not number
            return 0
        key = (message["source"], message["group"])
        last, self._last[key] = self._last.get(key), number
        return 0 if last is None else max(number - last - 1, 0)

    def forget(self, groups):
        """Left groups: numbers seen after joining again are not a gap."""
        self._last = {key: n for key, n in self._last.items() if key[1] not in groups}
