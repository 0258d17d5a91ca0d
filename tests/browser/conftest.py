"""Browser fixtures: one chromium for the session, a fresh profile (browser context) per test, and a real
`coop serve` on 127.0.0.1 whose pages the profiles open."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Coop, served_node
from browser_harness import OpenProfile, launch
from playwright.sync_api import Browser, Page, sync_playwright


@pytest.fixture(scope="session")
def coop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coop]:
    """Return a node served by `coop serve` on 127.0.0.1 for the whole session."""
    yield from served_node(tmp_path_factory.mktemp("browser") / "node")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Start Debian's chromium once for the session."""
    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


@pytest.fixture
def open_profile(browser: Browser, coop: Coop) -> Iterator[OpenProfile]:
    """Return how a test opens a page of the node in a new, empty browser profile (closed after the test)."""
    contexts = []

    def open_page(url: str | None = None) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(url or coop.url)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_profile: OpenProfile) -> Page:
    """Return the node's home page in a fresh browser profile."""
    return open_profile()
