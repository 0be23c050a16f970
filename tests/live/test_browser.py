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


# --- figures and layout at 1400 x 900 -------------------------------------------------------

LAYOUT_VIEWPORT = {"width": 1400, "height": 900}
MAX_ROW_HEIGHT_PX = 200
"""A table row taller than this is a column squeezed to a few words a line."""

HAN = r"[\u4e00-\u9fff]"
"""Chinese characters (the CJK Unified Ideographs block), as a JavaScript regex."""


def open_at_1400(page: Page, url: str) -> None:
    """Open a page at 1400 x 900, once everything it loads has arrived."""
    page.set_viewport_size(LAYOUT_VIEWPORT)  # type: ignore[arg-type]
    page.goto(url)
    page.wait_for_load_state("networkidle")


def row_heights(page: Page) -> list[float]:
    """The height in pixels of every table row of the page."""
    heights: list[float] = page.eval_on_selector_all(
        "table tr", "rows => rows.map(row => row.getBoundingClientRect().height)"
    )
    return heights


def fonts_drawing_chinese(page: Page, scope: str) -> set[str]:
    """The font families Chromium drew the first Chinese text under `scope` with.

    Asked of the browser through the DevTools protocol (``CSS.getPlatformFontsForNode``):
    without a CJK font the characters are drawn as boxes by a font that lacks them.
    """
    found = page.evaluate(
        """([scope, han]) => {
            const pattern = new RegExp(han);
            const text = [...document.querySelectorAll(scope + " *")].find(
                el => [...el.childNodes].some(n => n.nodeType === 3 && pattern.test(n.data)));
            if (text) text.setAttribute("data-chinese-under-test", "");
            return Boolean(text);
        }""",
        [scope, HAN],
    )
    assert found, f"no Chinese text under {scope}"
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send(
            "DOM.querySelector", {"nodeId": root, "selector": "[data-chinese-under-test]"}
        )
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"] for font in fonts}


def test_index_at_1400px_numbers_the_questions_1_to_12_in_full(
    live_server: LiveServer, page: Page, traffic: Traffic
) -> None:
    open_at_1400(page, live_server.url + "/")
    numbers = page.locator("#questions .number")
    expect(numbers).to_have_text([f"{n}." for n in range(1, 13)])
    page.locator("#questions").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    left = page.locator("#questions").evaluate("list => list.getBoundingClientRect().left")
    for number in numbers.all():
        box = number.evaluate(
            "n => ({left: n.getBoundingClientRect().left, cut: n.scrollWidth > n.clientWidth})"
        )
        assert box["left"] >= left and not box["cut"], number.text_content()
    assert all(height <= MAX_ROW_HEIGHT_PX for height in row_heights(page))
    screenshot(page, "layout-index")
    traffic.assert_loopback_only()


def test_question_page_at_1400px_keeps_rows_short_and_quotes_on_screen_in_chinese_too(
    live_server: LiveServer, page: Page, traffic: Traffic
) -> None:
    open_at_1400(page, live_server.url + "/queries/counterparty-exposure?firm=OpenAI")
    heights = row_heights(page)
    assert len(heights) > 13 and max(heights) <= MAX_ROW_HEIGHT_PX, heights
    quotes = page.locator("td.prose-quote")
    expect(quotes).to_have_count(13)
    for quote in quotes.all():
        box = quote.bounding_box()
        assert box is not None and box["x"] >= 0
        assert box["x"] + box["width"] <= LAYOUT_VIEWPORT["width"], box
    wrap = page.locator(".table-wrap").evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert wrap[0] <= wrap[1], f"the table is wider than the page: {wrap}"
    # The figures read for people; the exact value is the title, shown on hover.
    amount = page.locator('table.results data[value="300000000000"]')
    expect(amount).to_have_text("USD 300 bn")
    expect(amount).to_have_attribute("title", "300000000000")
    assert any("CJK" in font for font in fonts_drawing_chinese(page, "td.prose-quote"))
    page.locator("table.results").evaluate("table => table.scrollIntoView({block: 'start'})")
    screenshot(page, "layout-counterparty-exposure")
    traffic.assert_loopback_only()


def test_resource_page_at_1400px_draws_the_chinese_quotes_with_a_cjk_font(
    live_server: LiveServer, page: Page, traffic: Traffic
) -> None:
    open_at_1400(page, live_server.url + "/id/firm/openai")
    expect(page.locator('blockquote[lang="zh"]').first).to_be_visible()
    assert max(row_heights(page)) <= MAX_ROW_HEIGHT_PX
    assert any("CJK" in font for font in fonts_drawing_chinese(page, "#claims"))
    screenshot(page, "layout-id-openai")
    traffic.assert_loopback_only()
