"""End to end in a real headless browser (Debian's chromium, installed by `make test-deps`).

An analyst logs in, searches the queue without diacritics, opens an alert, reads the score
explanation, claims it, records a verdict with a clarification, looks at the overview's
charts, and the press sees the clarification in the feed. Screenshots of the queue, the
alert, the overview and the clarifications are kept in test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import pytest

from alerts.accounts import add_user
from nlp.normalize import fold
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
    missing = [path for path in (CHROMIUM, DRIVER) if not shutil.which(path)]
    if missing:
        what = f"test peer missing: {' and '.join(missing)} not found"
        install = (
            "install with `make test-deps` (as root: apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what}; required on CI; {install}")
        pytest.skip(f"{what}; the browser test did not run; {install}")
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
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = browser.find_element(By.TAG_NAME, "html")
    action()
    wait = WebDriverWait(browser, TIMEOUT)
    wait.until(lambda _b: gone(old_page))
    wait.until(lambda b: b.execute_script("return document.readyState") == "complete")


def gone(element: object) -> bool:
    """Whether the element's document was replaced.

    Selenium's staleness_of only knows StaleElementReferenceException; in the middle of a
    navigation chromedriver may instead answer "Node with given id does not belong to the
    document" (a plain WebDriverException), which means the same thing.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


def wait_for_text(browser: object, css: str, text: str) -> str:
    """Wait until the element matching css contains text; return its whole text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, TIMEOUT).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )
    return browser.find_element(By.CSS_SELECTOR, css).text


EXPLANATION = {
    "contributions": [
        {
            "rule": "rumour:tin đồn",
            "category": "rumour",
            "field": "text",
            "surface": "tin đồn",
            "weight": 2.0,
            "factors": [],
            "value": 2.0,
        }
    ],
    "trust": "social",
    "trust_factor": 1.8,
    "total": 2.0,
    "score": 3.6,
    "threshold": 2.5,
    "flagged": True,
    "notes_vi": [],
}


def shoot(browser: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / name
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 1000


def test_analyst_records_a_verdict_and_the_press_sees_it(
    browser: object,
    sqlite_db: Database,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with sqlite_db.session() as session:
        add_user(session, "lan", "mat-khau-du-dai", "Nguyễn Thị Lan")
    flagged_item(sqlite_db, 1, title="Tin đồn cắt điện 3 ngày ở huyện Ngọc Hồi")
    flagged_item(
        sqlite_db,
        2,
        title="Tin đồn đóng cửa khẩu Bờ Y từ tuần sau",
        text="Người dân lo lắng vì tin đồn đóng cửa khẩu ở huyện Ngọc Hồi cũ, nay là xã Bờ Y.",
        unit="Xã Bờ Y, Tỉnh Quảng Ngãi",
        score=3.6,
        explanation=EXPLANATION,
    )
    app = create_app(sqlite_db, WebOptions(secret_key="browser-test", fold=fold))
    with serving(app) as base:
        navigate(browser, lambda: browser.get(base + "/"))
        browser.find_element(By.ID, "username").send_keys("lan")
        browser.find_element(By.ID, "password").send_keys("mat-khau-du-dai")
        navigate(browser, browser.find_element(By.ID, "login").click)
        wait_for_text(browser, "h1", "Hàng đợi cảnh báo")

        # search without diacritics: "bo y" finds "Bờ Y", and only it
        browser.find_element(By.ID, "search").send_keys("bo y")
        navigate(browser, browser.find_element(By.ID, "apply").click)
        wait_for_text(browser, "#count", "1 cảnh báo")
        rows = browser.find_elements(By.CSS_SELECTOR, "a.alert-title")
        assert [r.text for r in rows] == ["Tin đồn đóng cửa khẩu Bờ Y từ tuần sau"]
        shoot(browser, "queue.png")

        navigate(browser, rows[0].click)
        wait_for_text(browser, "h2", "cửa khẩu Bờ Y")
        explanation = wait_for_text(browser, "#explanation", "Cộng:")
        assert "tin đồn rumour:tin đồn nội dung 2" in explanation
        assert "hệ số tin cậy của nguồn (mạng xã hội) 1.8 = 3.6" in explanation
        assert "ngưỡng 2.5" in explanation

        navigate(browser, browser.find_element(By.ID, "claim").click)
        wait_for_text(browser, ".flash", "Bạn đã nhận xác minh.")
        assert "Nguyễn Thị Lan" in browser.find_element(By.TAG_NAME, "header").text
        wait_for_text(browser, "#assignee", "lan")
        browser.set_window_size(1200, 1900)
        shoot(browser, "alert.png")
        browser.set_window_size(1200, 900)

        Select(browser.find_element(By.ID, "status")).select_by_value("verified_false")
        browser.find_element(By.ID, "note").send_keys("Đã xác minh với Biên phòng")
        browser.find_element(By.ID, "clarification").send_keys(
            "Đồn Biên phòng khẳng định cửa khẩu Bờ Y vẫn hoạt động bình thường."
        )
        browser.find_element(By.ID, "publish").click()
        navigate(browser, browser.find_element(By.ID, "save").click)
        wait_for_text(browser, ".flash", "Đã lưu.")
        assert "Sai sự thật" in wait_for_text(browser, "h1", "Sai sự thật")

        navigate(browser, lambda: browser.get(base + "/overview"))
        wait_for_text(browser, "h1", "Tổng quan")
        WebDriverWait(browser, TIMEOUT).until(
            lambda b: b.execute_script(
                "return [...document.querySelectorAll('img.chart')]"
                ".every(i => i.complete && i.naturalWidth > 0)"
            )
        )
        browser.set_window_size(1200, 1700)
        shoot(browser, "overview.png")
        browser.set_window_size(1200, 900)

        navigate(browser, lambda: browser.get(base + "/clarifications"))
        wait_for_text(browser, "body", "vẫn hoạt động bình thường")
        shoot(browser, "clarifications.png")

        feed = feedparser.parse(Client(base).get("/clarifications.atom").body.encode())
    assert not feed.bozo
    assert "vẫn hoạt động bình thường" in feed.entries[0].summary
