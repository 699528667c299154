"""antenna screenshots: PNGs of the key pages, taken by headless Chromium (docs/screenshots/).

Without --base-url it starts a throw-away portal of its own (a temporary data directory with
SQLite, the demo data, a server on a free loopback port and a worker), submits a job as
demo-applicant, waits for it to complete, takes the pictures and stops everything.

`LivePortal` and `launch_chromium` are also what the browser tests (`e2e/`) run on.
Needs the test extra (`pip install -e '.[test]'`, for Playwright) and Debian's Chromium
(`apt-get install chromium`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = os.environ.get("ANTENNA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic",
]
DEMO_PASSWORD = "antenna-demo"  # seed_demo's; repeated so this module imports nothing heavy
MAX_PNG_BYTES = 300 * 1024
# The variables a throw-away portal must not inherit from the shell or from pytest-django.
_NOT_INHERITED = ("DJANGO_SETTINGS_MODULE", "ANTENNA_DATABASE_URL", "ANTENNA_DEBUG",
                  "ANTENNA_ALLOWED_HOSTS", "ANTENNA_SECRET_KEY", "ANTENNA_EXPECT_DATABASE")


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with nothing that talks to the network by itself."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class LivePortal:
    """A real Antenna on loopback: migrated, seeded with the demo data, served by
    `antenna runserver`, with `antenna worker` running the jobs. For browsers, not for
    production: plain HTTP, a temporary data directory (and SQLite unless a database URL is
    given, which must name a database of its own: it is filled with demo data)."""

    def __init__(self, data_dir: Path, *, database_url: str | None = None,
                 worker_interval: float = 0.5, start_timeout: float = 90.0) -> None:
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.worker_interval = worker_interval
        self.start_timeout = start_timeout
        self.port = 0
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "antenna.config.settings",
            "ANTENNA_DATA_DIR": str(self.data_dir),
            "ANTENNA_HTTPS": "0",
            "ANTENNA_LOG_LEVEL": os.environ.get("ANTENNA_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        })
        if database_url:
            self.env["ANTENNA_DATABASE_URL"] = database_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def antenna(self, *args: str, timeout: float = 180) -> str:
        """Run `antenna ARGS` on this portal's database; its standard output."""
        result = subprocess.run(  # noqa: S603 (our own interpreter and command)
            [sys.executable, "-m", "antenna.manage", *args], env=self.env, cwd=self.data_dir,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"antenna {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}")
        return result.stdout

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.data_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "antenna.manage", *args], env=self.env, cwd=self.data_dir,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()  # the child holds its own descriptor
        self.processes.append(process)
        return process

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.data_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def start(self) -> LivePortal:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.antenna("migrate", "--no-input", "-v0")
        self.antenna("seed_demo")
        self.port = free_port()
        server = self._spawn("server", "runserver", f"127.0.0.1:{self.port}", "--noreload")
        self._spawn("worker", "worker", "--interval", str(self.worker_interval))
        deadline = time.monotonic() + self.start_timeout
        while True:
            if server.poll() is not None:
                self.stop()
                raise RuntimeError(f"the server stopped:\n{self.log_tail('server')}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/openapi.json",  # noqa: S310
                                            timeout=5) as response:
                    if response.status == 200:
                        return self
            except urllib.error.HTTPError:
                return self  # it answers
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not answer in {self.start_timeout:.0f} s:\n"
                                   f"{self.log_tail('server')}")
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        self.processes = []

    def api(self, token: str, method: str, path: str,
            payload: dict[str, Any] | None = None) -> Any:
        """Call the JSON API as the token's user; the decoded answer (errors raise)."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.base_url}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode()}") from exc

    def token(self, username: str) -> str:
        """A new API token of a user (made with `antenna create_token`)."""
        return self.antenna("create_token", username, "--name", "browser").strip().splitlines()[-1]


def sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the sign-in form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    if "/accounts/login/" in page.url:
        raise RuntimeError(f"{username} could not sign in")


def wait_for_job(portal: LivePortal, token: str, job_id: int, timeout: float = 90) -> str:
    """Wait until the worker has finished a job; its final state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: str = portal.api(token, "GET", f"/jobs/{job_id}")["state"]
        if state in ("completed", "failed", "cancelled", "timeout"):
            return state
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} did not finish in {timeout:.0f} s")


def demo_job(portal: LivePortal, username: str = "demo-applicant") -> tuple[int, int]:
    """Submit a small job on the user's first allocation; (allocation id, job id)."""
    token = portal.token(username)
    allocation = portal.api(token, "GET", "/allocations")["items"][0]
    job = portal.api(token, "POST", "/jobs", {
        "allocation": allocation["id"], "name": "fine-tune-test",
        "script": "#!/bin/bash\necho 'Loading the model…'\nfor epoch in 1 2 3; do\n"
                  "  echo \"epoch $epoch: loss 0.$((9 - epoch))1\"\ndone\necho done\n",
        "gpus": 1, "walltime_minutes": 10,
    })
    wait_for_job(portal, token, job["id"])
    return allocation["id"], job["id"]


class Command(BaseCommand):
    help = ("Take PNG screenshots of the key pages (home, applicant home, a job, the operator "
            "console) with headless Chromium. Starts its own portal unless --base-url is given.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="docs/screenshots",
                            help="Folder for the PNGs (default docs/screenshots).")
        parser.add_argument("--base-url", default="",
                            help="A running portal with the demo data (default: start one).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise CommandError("Playwright is missing: pip install -e '.[test]'.") from exc
        if not Path(CHROMIUM).exists():
            raise CommandError(f"No Chromium at {CHROMIUM}: apt-get install chromium "
                               "(or set ANTENNA_CHROMIUM).")
        out = Path(options["out"]).resolve()
        out.mkdir(parents=True, exist_ok=True)
        portal: LivePortal | None = None
        tmp = ""
        try:
            if options["base_url"]:
                base_url = options["base_url"].rstrip("/")
                job_path = self._latest_job_path(base_url)
            else:
                tmp = tempfile.mkdtemp(prefix="antenna-screenshots-")
                portal = LivePortal(Path(tmp)).start()
                self.stdout.write(f"Portal started on {portal.base_url}.")
                base_url = portal.base_url
                job_path = f"/jobs/{demo_job(portal)[1]}/"
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    shots = [("home.png", None, "/"),
                             ("applicant-home.png", "demo-applicant", "/"),
                             ("operator-console.png", "demo-operator", "/console/")]
                    if job_path:
                        shots.insert(2, ("job.png", "demo-applicant", job_path))
                    for name, username, path in shots:
                        self._shoot(browser, base_url, out / name, username, path)
                finally:
                    browser.close()
        finally:
            if portal is not None:
                portal.stop()
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)

    def _latest_job_path(self, base_url: str) -> str:
        """On a portal we did not start: demo-applicant's latest job page, if any."""
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page()
                sign_in(page, base_url, "demo-applicant")
                page.goto(f"{base_url}/jobs/")
                link = page.locator("main a[href*='/jobs/']").first
                href = link.get_attribute("href") if link.count() else None
                return urllib.parse.urlsplit(href).path if href else ""
            finally:
                browser.close()

    def _shoot(self, browser: Browser, base_url: str, path: Path, username: str | None,
               url_path: str) -> None:
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      device_scale_factor=1, locale="en-GB",
                                      reduced_motion="reduce")
        try:
            page = context.new_page()
            if username:
                sign_in(page, base_url, username)
            response = page.goto(f"{base_url}{url_path}")
            if response is None or response.status >= 400:
                raise CommandError(f"{url_path} answered "
                                   f"{response.status if response else 'nothing'}.")
            page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready")
            if re.search(r"/jobs/\d+/", url_path):
                page.locator("#job-log").wait_for()
            page.screenshot(path=str(path), full_page=False)
            size = path.stat().st_size
            if size > MAX_PNG_BYTES:
                raise CommandError(f"{path.name} is {size // 1024} KB, over "
                                   f"{MAX_PNG_BYTES // 1024} KB.")
            self.stdout.write(f"{path} ({size // 1024} KB)")
        finally:
            context.close()
