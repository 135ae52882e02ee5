"""The README's screenshots of the catalog UI, taken over the store `make demo` leaves (`make screenshots`).

Serves the UI over that store in this process (with a users file of its own, in a temporary folder), opens each page
in headless Chromium (Debian's chromium and chromium-driver, as the browser tests use), and writes the part of the
page worth showing as a PNG, as Chromium encodes it (a palette of 256 colours would make it a third of the size, but
turns the table cards' white and the legend's colours into their neighbours')."""

from __future__ import annotations

import argparse
import base64
import secrets
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1366
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", f"--window-size={WIDTH},900")
# (file under docs/, page, the heading of the last section shown)
SHOTS = [("ui-pipeline.png", "/pipelines/daily_sales", "Shadow runs")]
# the bottom of the section whose heading is arguments[0] (or of the page), in CSS pixels
BOTTOM = """
const h = [...document.querySelectorAll('h2')].find(e => e.textContent.trim() === arguments[0]);
const end = h ? h.closest('section') || h.parentElement : document.body;
return Math.ceil(end.getBoundingClientRect().bottom + window.scrollY + 24);
"""


def serve(store: str, state_dir: Path, users: Path) -> tuple[str, Any]:
    import uvicorn
    from jenkins2flow_runtime.ui import UiSettings, create_app

    app = create_app(UiSettings(store=store, state_dir=state_dir, users_file=users))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("The UI did not start within 30 s.")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


def login(driver: Any, base: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    deadline = time.monotonic() + 20
    while "/login" in driver.current_url:
        if time.monotonic() > deadline:
            raise SystemExit("Could not log in to the UI.")
        time.sleep(0.1)


def shoot(driver: Any, url: str, last_section: str) -> bytes:
    driver.get(url)
    height = int(driver.execute_script(BOTTOM, last_section))
    clip = {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                              "clip": clip})
    return base64.b64decode(shot["data"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".jenkins2flow", help="what `make demo` left")
    parser.add_argument("--store", help="default: STATE_DIR/store.db")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    store = args.store or str(args.state_dir / "store.db")
    if not args.store and not Path(store).exists():
        raise SystemExit(f"No store at {store!r}: run `make demo` first.")
    from jenkins2flow_runtime.ui.auth import set_user

    with tempfile.TemporaryDirectory() as tmp:
        password = secrets.token_urlsafe(16)
        set_user(Path(tmp) / "users.yaml", "ada", password=password, role="admin")
        base, server = serve(store, args.state_dir, Path(tmp) / "users.yaml")
        driver = browser(Path(tmp) / "profile")
        try:
            login(driver, base, "ada", password)
            for name, path, last in SHOTS:
                png = shoot(driver, base + path, last)
                (args.out / name).write_bytes(png)
                print(f"{args.out / name}: {len(png) // 1024} KiB")
        finally:
            driver.quit()
            server.should_exit = True


if __name__ == "__main__":
    main()
