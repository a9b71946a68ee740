"""Tests that need a headless Chromium: `make test-browser`, kept out of `make test`.

No registry package ships a headless browser that installs offline (playwright and
pyppeteer download theirs at run time), so the browser is a system package: on Debian
`apt-get install -y chromium`, or name any Chromium-like binary in $CHROMIUM. Without
one these tests fail with that message: here a missing browser is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "trainer"))  # report_folder, test_report

NAMES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """$CHROMIUM if set, else the first of `NAMES` on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((path for path in map(shutil.which, NAMES) if path), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.fail(f"error: no headless Chromium: set CHROMIUM or put one of {', '.join(NAMES)} on PATH "
                    "(Debian: apt-get install -y chromium)", pytrace=False)
    return path
