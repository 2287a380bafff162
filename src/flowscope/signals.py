"""Signals flowscope sends. Connect to them; never rely on them for control flow."""

from django.dispatch import Signal

# Sent by the recorder's thread after each committed write, with ``batch``: a
# ``flowscope.recording.writer.CommittedBatch`` (workflows, steps, errors, snapshots,
# timed_out). Receivers must be quick: the next batch waits for them.
batch_committed = Signal()

# Sent by the recorder's thread between batches, every FLUSH_INTERVAL or so, with ``now``:
# for periodic work that belongs to the writer side (publishing system health).
recorder_tick = Signal()
