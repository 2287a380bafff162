"""Driving Debian's Chromium with Playwright (never a downloaded browser)."""

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def require(what, available):
    """Skip without ``what``; with FLOWSCOPE_REQUIRE_SERVICES=1, fail instead."""
    if available:
        return
    message = f"{what} is not available"
    if os.environ.get("FLOWSCOPE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, and FLOWSCOPE_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def browser_page(sync_api, init_script=None):
    """A fresh Chromium page and the console errors and page errors it logged."""
    problems = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.on(
                "console",
                lambda message: (
                    message.type == "error" and problems.append(f"console: {message.text}")
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
            if init_script:
                page.add_init_script(init_script)
            yield page, problems
        finally:
            browser.close()
