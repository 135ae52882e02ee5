"""The catalog UI in headless Chromium (Selenium, Debian's chromium-driver): create a task and a pipeline, edit,
diff, publish, roll back, a denied action; a screenshot of each main page, checked not to be blank.

Screenshots go to $JENKINS2FLOW_SCREENSHOTS when set (to look at them), else to a temporary folder."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.model import make
from jenkins2flow_runtime.store import open_store
from test_migration import shadow_result
from ui_docs import GATED
from ui_help import PASSWORD, Users

from jenkins2flow.cli.main import cli
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.shadow.results import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (Path(CHROMEDRIVER).exists() and Path(CHROMIUM).exists()),
                       reason="chromium and chromium-driver are not installed (make chromium)"),
]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1366,900")
# The browser decodes its own screenshot onto a canvas and measures it: how many colours, how much is not background.
MEASURE = """
const done = arguments[arguments.length - 1];
const img = new Image();
img.onload = () => {
  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const counts = new Map();
  for (let i = 0; i < d.length; i += 16) {
    const k = (d[i] >> 3) << 10 | (d[i + 1] >> 3) << 5 | (d[i + 2] >> 3);
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  const top = Math.max(...counts.values());
  done({colours: counts.size, foreground: 1 - top / (d.length / 16), width: c.width, height: c.height});
};
img.onerror = () => done(null);
img.src = 'data:image/png;base64,' + arguments[0];
"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("JENKINS2FLOW_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, users: Users) -> Iterator[str]:
    import uvicorn
    from jenkins2flow_runtime.ui import UiSettings, create_app

    home = tmp_path_factory.mktemp("browser")
    store = str(home / "store.db")
    with open_store(store, create=True) as st:  # something to look at besides what the test creates
        st.save(make("view_task", "sales-by-region", {
            "sql": "SELECT region, SUM(total)\nFROM sales\nWHERE day = '{{ ds }}'\nGROUP BY region\n",
            "description": "Totals per region."}), by="seed")
        st.save(make("concrete_task", "load-warehouse", {  # secret values: none may reach a page
            "type": "shell", "command": "psql -f load.sql\n", "env": {"DB_PASSWORD": SECRETS[0], "REGION": "eu"},
            "secrets": [{"env": "PGPASS", "source": "connection", "id": "warehouse", "field": "password"}],
            "parameters": [{"name": "API_TOKEN", "type": "password", "default": SECRETS[1]}]}), by="seed")
    # a converted Jenkins job and a shadow run, for the migration view
    sample = ROOT / "samples" / "jenkinsfiles" / "daily_sales.Jenkinsfile"
    assert CliRunner().invoke(cli, ["convert", str(sample), "--store", store, "--no-publish"]).exit_code == 0
    with ResultsStore(store, create=True) as results:
        results.save(shadow_result("manual-1", "daily_sales", "different"))
    with open_store(store) as st:  # a job with when, try/catch/finally and post blocks: gates in the graph
        save_conversion(st, convert_job(parse_jenkinsfile(GATED, "Jenkinsfile", "gated")))
    (home / "shadow" / "manual-1").mkdir(parents=True)
    (home / "shadow" / "manual-1" / "report.html").write_text("<html><body><h1>Shadow report</h1></body></html>")
    app = create_app(UiSettings(store=store, state_dir=home, users_file=users.path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class Ui:
    def __init__(self, driver: Any, base: str, shots: Path) -> None:
        self.d, self.base, self.shots = driver, base, shots

    def go(self, path: str) -> None:
        self.d.get(self.base + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.d.find_elements(By.CSS_SELECTOR, css))

    def field(self, name: str) -> Any:
        return self.find(f'[name="{name}"]')

    def type(self, name: str, text: str) -> None:
        el = self.field(name)
        el.clear()
        el.send_keys(text)

    def submit(self, css: str = "form.doc-form button.primary") -> None:
        old = self.find("body")
        self.find(css).click()
        self.wait_stale(old)

    def wait_stale(self, element: Any) -> None:
        """Until `element` (the old page's body) is gone. While the new page replaces the old one, chromedriver may
        answer "Node with given id does not belong to the document" rather than "stale element": that is gone too."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def gone(_: Any) -> bool:
            try:
                element.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:
                if "does not belong to the document" in str(exc):
                    return True
                raise
            return False

        WebDriverWait(self.d, 20).until(gone)

    def accept_and_wait(self, button_css: str) -> None:
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.find("body")
        self.find(button_css).click()
        WebDriverWait(self.d, 10).until(ec.alert_is_present()).accept()
        self.wait_stale(old)

    def login(self, name: str) -> None:
        self.d.delete_all_cookies()
        self.go("/login")
        self.type("username", name)
        self.type("password", PASSWORD)
        self.submit()
        assert self.find(".who .user").text == name

    def graph_text_overflow(self) -> list[str]:
        """The texts of the graph's boxes that run past their box's right edge (as the browser lays them out)."""
        return list(self.d.execute_script("""
            const out = [];
            for (const g of document.querySelectorAll('svg.graph g.node')) {
              const width = g.querySelector('rect.box').width.baseVal.value;
              for (const t of g.querySelectorAll('text'))
                if (t.x.baseVal[0].value + t.getComputedTextLength() > width - 4) out.push(t.textContent);
            }
            return out;"""))

    def shot(self, name: str) -> dict[str, Any]:
        """A screenshot of the whole page (however long: through the DevTools protocol), saved, and measured by the
        browser itself."""
        self.d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        size = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.d.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                  "clip": clip})["data"]
        (self.shots / f"{name}.png").write_bytes(base64.b64decode(data))
        stats = self.d.execute_async_script(MEASURE, data)
        assert stats is not None, f"{name}: the screenshot did not decode"
        assert stats["colours"] >= 12 and stats["foreground"] >= 0.03, f"{name} looks blank: {stats}"
        return dict(stats)


@pytest.fixture(scope="module")
def ui(browser: Any, server: str, shots: Path) -> Ui:
    return Ui(browser, server, shots)


SECRETS = ("hunter2-in-env", "tok-123-default")
SCRIPT = "set -e\nmkdir -p out\nawk -F, 'NR>1 {s+=$3} END {print s}' in.csv > out/total.txt\n"


def test_1_create_a_task(ui: Ui) -> None:
    ui.login("eddie")
    ui.shot("01-catalog-empty")
    ui.go("/new/tasks")
    ui.type("name", "sum-totals")
    ui.field("spec.command").send_keys(SCRIPT)
    ui.type("spec.description", "Adds up column 3.")
    ui.type("comment", "first version")
    ui.shot("02-new-task-form")
    ui.submit()
    assert ui.find(".flash.ok").text == "Created version 1."
    code = ui.find("pre.code.lang-shell").text
    assert "awk -F, 'NR>1 {s+=$3} END {print s}' in.csv > out/total.txt" in code and len(code.splitlines()) == 3
    ui.shot("03-task")


def test_2_create_a_pipeline_with_two_tasks(ui: Ui) -> None:
    ui.go("/new/pipelines")
    ui.type("name", "nightly-totals")
    ui.type("spec.description", "Totals every night.")
    ui.type("spec.tasks.0.id", "total")
    ui.type("spec.tasks.0.title", "Build: add up the sales")
    ui.type("spec.tasks.0.uses.name", "sum-totals")
    ui.find('fieldset[data-list="spec.tasks"] > button.add').click()  # JavaScript adds an item
    ui.type("spec.tasks.1.id", "report")
    ui.type("spec.tasks.1.uses.name", "sum-totals")
    ui.type("spec.tasks.1.depends_on", "total")
    ui.field("spec.schedule.__present").click()
    ui.type("spec.schedule.cron", "30 2 * * 1-5")
    ui.type("spec.team", "sales")
    ui.submit()
    assert "Created version 1." in ui.find(".flash.ok").text
    assert len(ui.all("svg.graph g.node")) == 2 and len(ui.all("svg.graph path.edge")) == 1
    assert "At 02:30, on Monday to Friday (UTC)." in ui.find("p.schedule").text
    assert "Build: add up the sales" in ui.find("#task-total").text
    ui.shot("04-pipeline")


def test_3_bad_input_keeps_what_was_typed(ui: Ui) -> None:
    ui.go("/pipelines/nightly-totals/edit")
    assert ui.find('label[for="f-spec.tasks.0.id"]').text.startswith("ID")  # not the schema's "Id"
    assert ui.find(".field.w-text small.help code")  # a description's `quoted` words read as code
    ui.type("spec.tasks.0.retries", "many")
    ui.type("spec.description", "Totals every night, now with a check.")
    ui.submit()
    assert "is not a whole number" in ui.find(".problems").text
    assert ui.field("spec.tasks.0.retries").get_attribute("value") == "many"
    assert ui.field("spec.description").get_attribute("value") == "Totals every night, now with a check."
    ui.shot("05-form-errors")
    ui.type("spec.tasks.0.retries", "2")
    ui.submit()
    assert ui.find(".flash.ok").text == "Saved as version 2."


def test_4_diff_of_two_versions(ui: Ui) -> None:
    ui.go("/pipelines/nightly-totals/history")
    ui.shot("06-history")
    ui.submit("form.compare button")
    changes = ui.find("pre.changes").text
    assert "spec.description: 'Totals every night.' -> 'Totals every night, now with a check.'" in changes
    assert "spec.tasks[0].retries: None -> 2" in changes
    assert len(ui.all("table.diff tr.d-change")) >= 2
    number, text = ui.find("table.diff tr.d-change td.no"), ui.find("table.diff tr.d-change td.l")
    assert number.size["width"] < 60 and text.size["width"] > 450  # the line numbers leave the room to the text
    ui.shot("07-diff")


def test_5_a_viewer_is_denied(ui: Ui) -> None:
    ui.login("vic")
    ui.go("/pipelines/nightly-totals")
    assert not ui.all(".actions a[href$='/edit']") and not ui.all(".lifecycle form")
    ui.go("/pipelines/nightly-totals/edit")
    assert ui.find("h1").text == "Not allowed" and "editor role" in ui.find(".problems").text
    ui.shot("08-denied")


def test_6_publish_and_roll_back(ui: Ui) -> None:
    ui.login("pat")
    ui.go("/tasks/sum-totals")
    ui.accept_and_wait(".lifecycle button.primary")
    assert ui.find(".flash.ok").text == "Published version 1."
    ui.go("/pipelines/nightly-totals")
    ui.accept_and_wait(".lifecycle button.primary")
    assert ui.find(".flash.ok").text == "Published version 2."
    ui.go("/pipelines/nightly-totals?version=1")
    ui.accept_and_wait(".lifecycle form[action$='/rollback'] button")
    assert ui.find(".flash.ok").text == "Rolled back: the old spec is published as version 3."
    assert "published" in ui.find(".doc-head .meta").text
    statuses = {r.find_element("css selector", "a").text: r.find_elements("css selector", "td")[1].text
                for r in ui.all("section.two table.grid tbody tr") if r.find_elements("css selector", "td a")}
    assert statuses["v3"] == "published" and statuses["v2"] == "draft was published" and statuses["v1"] == "draft"
    ui.shot("09-rolled-back")


def test_7_the_other_main_pages(ui: Ui) -> None:
    ui.go("/catalog")
    # besides the seeds and what the tests made, the converted jobs: daily_sales's pipeline, 3 tasks, its failure
    # mail, its archive check and template, gated's pipeline, 10 tasks and template
    assert len(ui.all("table.list tbody tr")) == 23
    ui.shot("10-catalog")
    ui.go("/pipelines/nightly-totals/yaml")
    assert "command" not in ui.field("text").get_attribute("value")
    ui.shot("11-yaml-editor")
    ui.go("/views/sales-by-region/render")
    ui.submit()
    assert "WHERE day = '" in ui.all("pre.code.lang-sql")[-1].text
    ui.shot("12-test-render")
    ui.go("/migration")
    assert "daily_sales" in ui.find("table.ledger").text and ui.find(".verdict.v-different").text == "different"
    ui.shot("13-migration")
    ui.go("/migration/shadow/manual-1")
    ui.shot("15-shadow-run")
    ui.go("/pipelines/daily_sales")
    # the stage over the step; the post block's gate, archive check and end
    assert [t.text for t in ui.all("svg.graph text.t1")] == ["Extract", "Transform", "Load", *["post"] * 5]
    assert ui.all("svg.graph text.t3")[0].text == "sh: mkdir -p out" and not ui.graph_text_overflow()
    ui.shot("16-converted-pipeline")
    ui.d.delete_all_cookies()
    ui.go("/login")
    ui.shot("14-login")


def test_8_post_catch_and_finally_in_the_graph(ui: Ui) -> None:
    ui.login("vic")
    ui.go("/pipelines/gated")
    graph = ui.find("svg.graph")
    assert "TB" in graph.get_attribute("class").split()  # a long chain reads top to bottom, within the page
    assert graph.size["width"] <= ui.find(".graph-wrap").size["width"]
    gates = sorted(t.text for t in ui.all("svg.graph g.gate text.tg"))
    assert gates == ["gate: catch", "gate: finally", "gate: post always", "gate: post failure", "gate: when"]
    assert not ui.graph_text_overflow()
    assert "gate: catch" in ui.find("#task-deploy_catch").text  # the table says it too
    ui.shot("17-gated-pipeline")


def test_9_no_secret_value_on_a_page(ui: Ui) -> None:
    ui.login("ada")
    for path, name in (("/tasks/load-warehouse", "18-task-with-secrets"), ("/tasks/load-warehouse/edit", ""),
                       ("/tasks/load-warehouse/yaml", "")):
        ui.go(path)
        typed = ui.d.execute_script("return [...document.querySelectorAll('input, textarea')].map(e => e.value)")
        shown = ui.d.page_source + "\n".join(typed)
        assert not [s for s in SECRETS if s in shown], path
        assert "DB_PASSWORD" in shown and "PGPASS" in shown  # the names are there, not the values
        if name:
            ui.shot(name)
