"""A real browser on the real service: Debian's Chromium, driven by Playwright.

The query page runs a query through YASGUI's own controls and shows the results table; a
question opens in the editor from the list; a question page shows its table with links to
`/id/` pages, and one of them opens; the pictures load. Every request the browser makes is
recorded, and any that leaves 127.0.0.1 fails the test, as does any request the page's
Content-Security-Policy had to refuse. Screenshots go to ``test-artifacts/``.

The browser is Debian's ``chromium`` at `CHROMIUM` (``.ci/run`` installs it), never one that
Playwright downloads. If it cannot start, the tests fail: they never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Request,
    expect,
    sync_playwright,
)

if TYPE_CHECKING:
    from tests.live.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
"""Headless as root in a closed network: no sandbox, no GPU, and none of the browser's own
calls home (with them, Chromium tries Google's hosts at every start)."""

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_SCHEMES = {"data", "blob", "about"}
"""URLs that the browser resolves itself, without a network request."""

VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 15_000

FIRMS_QUERY = """\
PREFIX aicap: <https://w3id.org/aicap/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?firm ?name WHERE { ?firm a/rdfs:subClassOf* aicap:Firm ; rdfs:label ?name }
ORDER BY ?name
"""


@dataclass
class Traffic:
    """What the browser asked for, and what the page's policy refused."""

    urls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def off_host(self) -> list[str]:
        """The requested URLs whose host is not 127.0.0.1."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
        ]

    def assert_loopback_only(self) -> None:
        """Fail on any request that left 127.0.0.1 or that the page's CSP refused."""
        assert self.urls, "the browser recorded no request at all"
        assert not self.off_host(), f"requests left 127.0.0.1: {self.off_host()}"
        assert not self.refused, f"the Content-Security-Policy refused: {self.refused}"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the module."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, on a fresh profile; a browser that will not start fails."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    try:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
    except Error as exc:
        pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def traffic(browser: BrowserContext) -> Iterator[Traffic]:
    """Record every request of the test's pages, and every CSP refusal they log."""
    seen = Traffic()

    def on_request(request: Request) -> None:
        seen.urls.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.refused.append(message.text)

    browser.on("request", on_request)
    browser.on("console", on_console)
    yield seen
    browser.remove_listener("request", on_request)
    browser.remove_listener("console", on_console)


@pytest.fixture
def page(browser: BrowserContext, traffic: Traffic) -> Iterator[Page]:
    """A new tab, closed after the test."""
    tab = browser.new_page()
    yield tab
    tab.close()


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows as ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path)
    return path


def run_in_editor(page: Page) -> None:
    """Press YASGUI's run button of the open tab and wait for its results table."""
    tab = page.locator(".tabPanel.active")
    tab.locator(".yasqe_queryButton").click()
    expect(tab.locator(".yasr table.dataTable tbody tr").first).to_be_visible()


def test_query_page_runs_a_query_typed_into_yasgui_and_shows_the_results(
    live_server: LiveServer, page: Page, traffic: Traffic
) -> None:
    page.goto(live_server.url + "/")
    editor = page.locator(".tabPanel.active .yasqe .CodeMirror")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # The editor closes brackets as they are typed, so the query goes in as one insertion,
    # the way a paste would.
    page.keyboard.insert_text(FIRMS_QUERY)
    assert "aicap:Firm" in page.evaluate("() => aicapYasgui.getTab().getYasqe().getValue()")
    run_in_editor(page)
    rows = page.locator(".tabPanel.active .yasr table.dataTable tbody tr")
    assert rows.count() >= 10
    results = page.locator(".tabPanel.active .yasr table.dataTable")
    expect(results).to_contain_text("OpenAI")
    # The graph's resources link to this service's /id/ pages, not to their IRIs' host.
    openai = results.locator("a", has_text="https://w3id.org/aicap/id/firm/openai")
    expect(openai).to_have_attribute("href", live_server.url + "/id/firm/openai")
    expect(page.locator("#pictures img")).to_have_count(3)
    for image in page.locator("#pictures img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("src")
    screenshot(page, "query-page")
    traffic.assert_loopback_only()


def test_a_question_opens_in_the_editor_and_runs(
    live_server: LiveServer, page: Page, traffic: Traffic
) -> None:
    page.goto(live_server.url + "/")
    page.locator("#question-committed-gigawatts button.open-in-editor").click()
    title = "Gigawatts committed, and what they equal in nuclear plants"
    expect(page.locator(".tabsList .tab.active")).to_contain_text(title)
    expect(page.locator(".tabPanel.active .yasqe")).to_contain_text("aicap:PowerEquivalence")
    run_in_editor(page)
    table = page.locator(".tabPanel.active .yasr table.dataTable")
    for supplier in ("Nvidia", "AMD", "Broadcom"):
        expect(table).to_contain_text(supplier)
    traffic.assert_loopback_only()


def test_question_page_links_its_resources_to_their_id_pages(
    live_server: LiveServer, page: Page, traffic: Traffic
) -> None:
    page.goto(live_server.url + "/queries/commitments-vs-revenue?firm=OpenAI")
    expect(page.locator("h1")).to_have_text("Commitments against revenue", ignore_case=True)
    expect(page.locator("table.results tbody tr")).not_to_have_count(0)
    for label in ("CSV", "JSON"):
        href = page.get_by_role("link", name=label, exact=True).get_attribute("href") or ""
        assert href.startswith("/api/queries/commitments-vs-revenue?firm=OpenAI&format=")
    screenshot(page, "question-page")
    firm = page.locator('table.results a[href="/id/firm/openai"]').first
    expect(firm).to_have_text("OpenAI")
    firm.click()
    page.wait_for_url("**/id/firm/openai")
    expect(page.locator("h1")).to_have_text("OpenAI")
    screenshot(page, "id-page")
    traffic.assert_loopback_only()
