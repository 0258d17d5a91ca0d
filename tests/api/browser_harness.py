"""What the browser tests run: Debian's chromium driven by Playwright, on pages of a real node at 127.0.0.1.

The browser downloads nothing: Playwright drives the system's chromium (never a build of its own),
with the features that reach out to the network switched off. Pages always come from the node over
http://127.0.0.1, which browsers count as a secure context, so WebCrypto is there as it is for a
member whose node runs behind HTTPS.
"""
from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
# A name that is not 127.0.0.1 or localhost, so not a secure context, which chromium itself resolves to
# 127.0.0.1 (the .test domain is reserved for tests and never resolves elsewhere).
INSECURE_HOST = "coop-insecure.test"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1"]
MODULES = ("api", "base64", "jcs", "keystore", "members", "recovery", "statement", "votes", "words")
# Each script runs in an async function with the modules bound by name and its argument as `arg`.
IMPORTS = "".join(f"const {name} = await import('/static/js/{name}.js');" for name in MODULES)
# How a test opens a page (the node's home page unless given a URL) in a new, empty browser profile.
OpenProfile = Callable[..., Page]


def launch(playwright: Playwright) -> Browser:
    """Start the system's chromium headless, or fail saying how to install it."""
    if not CHROMIUM.is_file():
        pytest.fail(f"the browser tests drive Debian's chromium at {CHROMIUM}, which is missing: "
                    "install it with `apt-get install chromium` (.ci/run does)", pytrace=False)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


def run(page: Page, script: str, arg: Any = None) -> Any:
    """Run a script in the page with the Coop modules imported, and return what it returns."""
    return page.evaluate(f"async (arg) => {{ {IMPORTS} {script} }}", arg)


def unb64(text: str) -> bytes:
    """Decode the base64 the page returns bytes in (Playwright carries text and numbers, not bytes)."""
    return base64.b64decode(text, validate=True)
