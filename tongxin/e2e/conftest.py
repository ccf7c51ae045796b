"""End-to-end tests drive Debian's Chromium through Playwright against a live server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", "test-artifacts"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def submit(page, selector: str, timeout: float = 30_000) -> None:
    """Click a full-page form's button and wait until the answer page has loaded.

    A refused form answers 400 with the same page again, so waiting for "network idle" may
    return before the answer arrived (the old page is idle), and the next fill or click then
    lands on a page about to be replaced. Waiting for the navigation itself cannot be early.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with page.expect_navigation(wait_until="load", timeout=timeout):
            page.click(selector)
    except PlaywrightTimeout:
        shown = page.locator(".invalid-feedback, .alert").all_inner_texts()
        raise AssertionError(f"no answer page {timeout / 1000:.0f} s after clicking {selector} on {page.url}; "
                             f"messages on the page: {shown}") from None


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        return  # in CI a missing browser must fail, not skip
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def demo(transactional_db):
    from tongxin.core.demo import build_demo

    return build_demo()


@pytest.fixture
def open_page(browser, live_server, request):
    """open_page(viewport, username) -> a logged-in page; screenshots saved when the test fails."""
    contexts = []

    def _open(viewport, username=None, password="tongxin2026"):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors
        page.base = live_server.url
        if username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("form button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert "/accounts/login/" not in page.url, f"login failed for {username}"
        return page

    yield _open
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, ctx in enumerate(contexts):
            for j, pg in enumerate(ctx.pages):
                pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"), full_page=True)
    for ctx in contexts:
        ctx.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
