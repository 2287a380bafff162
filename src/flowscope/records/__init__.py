"""The records flowscope keeps in memory before they are written (``trace``), the IDs that
tie them into workflows (``correlation``), and the scrubber every record passes before it
leaves the process (``scrubbing``). Plain Python: no Django models, no I/O."""
