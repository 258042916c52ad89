"""End to end in a real headless browser (Debian's chromium, installed by `make test-deps`).

An analyst logs in, opens an alert from the queue, records a verdict with a clarification,
and the press sees it in the clarifications feed. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import pytest

from alerts.accounts import add_user
from storage.db import Database
from tests.factories import flagged_item
from tests.helpers import ROOT
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT = 60  # seconds; generous because CI shares two cores with other work


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and chromium-driver are required on CI (make test-deps)")
        pytest.skip("chromium not installed (run `make test-deps`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def navigate(browser: object, action: Callable[[], object]) -> None:
    """Run an action that loads a new page and wait until that new page is complete.

    Clicking a link or a submit button returns before the browser has left the old page, so
    reading the DOM right after it may read the old page. Waiting for the old <html> element
    to go stale, then for the new document to be complete, removes that race.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = browser.find_element(By.TAG_NAME, "html")
    action()
    wait = WebDriverWait(browser, TIMEOUT)
    wait.until(ec.staleness_of(old_page))
    wait.until(lambda b: b.execute_script("return document.readyState") == "complete")


def wait_for_text(browser: object, css: str, text: str) -> str:
    """Wait until the element matching css contains text; return its whole text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, TIMEOUT).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )
    return browser.find_element(By.CSS_SELECTOR, css).text


def test_analyst_records_a_verdict_and_the_press_sees_it(
    browser: object,
    sqlite_db: Database,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with sqlite_db.session() as session:
        add_user(session, "lan", "mat-khau-du-dai", "Nguyễn Thị Lan")
    flagged_item(sqlite_db, title="Tin đồn cắt điện 3 ngày ở huyện Ngọc Hồi")
    app = create_app(sqlite_db, WebOptions(secret_key="browser-test"))
    with serving(app) as base:
        navigate(browser, lambda: browser.get(base + "/"))
        browser.find_element(By.ID, "username").send_keys("lan")
        browser.find_element(By.ID, "password").send_keys("mat-khau-du-dai")
        navigate(browser, browser.find_element(By.ID, "login").click)
        wait_for_text(browser, "h1", "Hàng đợi cảnh báo")

        navigate(browser, browser.find_element(By.CSS_SELECTOR, "a.alert-link").click)
        wait_for_text(browser, "h2", "Tin đồn cắt điện")
        Select(browser.find_element(By.ID, "status")).select_by_value("verified_false")
        browser.find_element(By.ID, "note").send_keys("Đã xác minh với Điện lực")
        browser.find_element(By.ID, "clarification").send_keys(
            "Điện lực khẳng định không có kế hoạch cắt điện 3 ngày."
        )
        browser.find_element(By.ID, "publish").click()
        navigate(browser, browser.find_element(By.ID, "save").click)
        wait_for_text(browser, ".flash", "Đã lưu.")
        assert "Sai sự thật" in wait_for_text(browser, "h1", "Sai sự thật")

        navigate(browser, lambda: browser.get(base + "/clarifications"))
        wait_for_text(browser, "body", "không có kế hoạch cắt điện 3 ngày")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "clarifications.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 1000

        feed = feedparser.parse(Client(base).get("/clarifications.atom").body.encode())
    assert not feed.bozo
    assert "không có kế hoạch cắt điện 3 ngày" in feed.entries[0].summary
