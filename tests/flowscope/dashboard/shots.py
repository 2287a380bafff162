"""Screenshots of the dashboard's views, for the README and for people reviewing a run."""

import os
from pathlib import Path


class Shots:
    """Screenshots of each view: into test-artifacts/, or FLOWSCOPE_SCREENSHOTS (the README's
    pictures are made with ``make screenshots``)."""

    def __init__(self, page, root):
        self.page = page
        self.dir = Path(os.environ.get("FLOWSCOPE_SCREENSHOTS") or root / "test-artifacts")
        self.dir.mkdir(parents=True, exist_ok=True)

    def __call__(self, name, full_page=True):
        # From the top, as a reader first sees the view (a header that sticks would be drawn
        # where the last click scrolled to), and with no focus ring left by the test's typing.
        self.page.evaluate("window.scrollTo(0, 0); document.activeElement?.blur()")
        self.page.screenshot(path=str(self.dir / f"dashboard-{name}.png"), full_page=full_page)
