"""The serving process's own CPU, memory and threads, sampled by the recorder."""

import psutil

from flowscope.models import PerformanceSnapshot


class ProcessSampler:
    def __init__(self, source):
        self.source = source
        self.process = psutil.Process()
        self.process.cpu_percent(None)  # the first reading is always 0: prime it

    def sample(self, now, window_seconds):
        with self.process.oneshot():
            readings = {
                "cpu_percent": self.process.cpu_percent(None),
                "memory_mb": self.process.memory_info().rss / 2**20,
                "threads": float(self.process.num_threads()),
            }
        return [
            PerformanceSnapshot(
                metric=metric,
                layer="process",
                component=self.source,
                source=self.source,
                window_start=now,
                window_seconds=window_seconds,
                count=1,
                value=value,
            )
            for metric, value in readings.items()
        ]
