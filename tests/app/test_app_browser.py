"""The staff web app in a real browser: Debian's headless chromium driven by selenium.

A live server (Werkzeug, on a free port of 127.0.0.1) serves the app on SQLite; the test
signs in, a new patient's text arrives through the real, signed Telnyx webhook and shows in
the open inbox without a reload (htmx polling), staff take over, reply and resume, and the
owner reads the dashboard. Screenshots go to ``tests/artifacts/`` (gitignored). Skipped only
where chromium or chromedriver is not installed (``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.accounts import Role, add_account
from app.context import AppContext
from app.db import Database
from app.web import create_app
from messaging.models import Message
from tests.steps import signed_text

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
PATIENT = "+15125550177"
PASSWORD = "correct horse battery"
WAIT_SECONDS = 15


@pytest.fixture
def live_ctx(make_ctx: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    """The demo clinic on a fresh SQLite file, with an owner account."""
    url = f"sqlite:///{tmp_path}/browser.db"
    db = Database(url)
    db.create_all()
    db.dispose()
    ctx = make_ctx(url, public_base_url="http://127.0.0.1:8000")
    add_account(ctx.db, "glow-austin", "owner@glow.example", PASSWORD, Role.OWNER)
    return ctx


@pytest.fixture
def server(live_ctx: AppContext) -> Iterator[str]:
    """The app served on 127.0.0.1 in a thread; its base URL."""
    httpd = make_server("127.0.0.1", 0, create_app(context=live_ctx), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless chromium through chromedriver."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _text_arrives(base: str, ctx: AppContext, body: str) -> None:
    """A patient's text through the real webhook, signed as Telnyx signs it."""
    raw, headers = signed_text(body, "evt-browser-1", int(ctx.clock.now().timestamp()), PATIENT)
    request = urllib.request.Request(f"{base}/webhooks/telnyx", data=raw, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own server
        assert answer.status == 200


def test_staff_work_a_conversation_and_read_the_dashboard_in_chromium(
    server: str, live_ctx: AppContext, browser: object
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as when
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    ARTIFACTS.mkdir(exist_ok=True)
    wait = WebDriverWait(driver, WAIT_SECONDS)
    started = time.monotonic()

    driver.get(f"{server}/app")
    assert "/app/login" in driver.current_url
    clinic = driver.find_element(By.NAME, "clinic")
    assert clinic.get_attribute("value") == "glow-austin"  # prefilled: the only clinic
    clinic.clear()
    clinic.send_keys("glow-austin")
    driver.find_element(By.NAME, "email").send_keys("owner@glow.example")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    wait.until(when.presence_of_element_located((By.ID, "inbox-list")))
    driver.execute_script("window.__stillTheSamePage = true;")

    _text_arrives(server, live_ctx, "hi do you have anything for botox this week?")
    wait.until(when.text_to_be_present_in_element((By.ID, "inbox-list"), PATIENT))
    assert driver.execute_script("return window.__stillTheSamePage === true;")  # no reload
    driver.save_screenshot(str(ARTIFACTS / "inbox.png"))

    driver.find_element(By.LINK_TEXT, PATIENT).click()
    wait.until(when.text_to_be_present_in_element((By.ID, "patient-phone"), PATIENT))
    driver.find_element(By.ID, "take-over").click()
    wait.until(when.text_to_be_present_in_element((By.ID, "ai-state"), "AI paused"))
    driver.find_element(By.ID, "reply-text").send_keys("Hi! This is Amy at the front desk.")
    driver.find_element(By.ID, "send-reply").click()
    wait.until(when.text_to_be_present_in_element((By.ID, "messages"), "Amy at the front desk"))
    driver.save_screenshot(str(ARTIFACTS / "conversation.png"))
    driver.find_element(By.ID, "resume").click()
    wait.until(when.text_to_be_present_in_element((By.ID, "ai-state"), "AI answering"))

    driver.find_element(By.LINK_TEXT, "Dashboard").click()
    wait.until(when.presence_of_element_located((By.ID, "total-conversation_started")))
    assert driver.find_element(By.ID, "total-conversation_started").text == "1"
    assert driver.find_element(By.ID, "first-reply").text.endswith(" s")  # the AI answered
    driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    driver.find_element(By.LINK_TEXT, "Appointments").click()
    wait.until(when.presence_of_element_located((By.ID, "unconfirmed")))
    driver.save_screenshot(str(ARTIFACTS / "appointments.png"))

    with live_ctx.db.session() as s:
        kinds = s.scalars(select(Message.kind).where(Message.to_number == PATIENT)).all()
    assert "staff_reply" in kinds and kinds[0] == "reply"
    elapsed = time.monotonic() - started
    (ARTIFACTS / "browser-timing.txt").write_text(f"browser test run time: {elapsed:.2f} s\n")
