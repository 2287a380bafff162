"""Signals flowscope sends, for third parties. Connect to them; never rely on them for
control flow. (Flowscope's own live events do not use them: realtime's publisher is a sink
of the recorder, see ``flowscope.recording.recorder.add_sink``.)"""

from django.dispatch import Signal

# Sent by the recorder's thread after each committed write, after the recorder's sinks,
# with ``batch``: a ``flowscope.recording.writer.CommittedBatch`` (workflows, steps,
# errors, snapshots, timed_out). Receivers must be quick: the next batch waits for them.
batch_committed = Signal()
