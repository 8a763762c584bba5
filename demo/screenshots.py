"""``make screenshots``: the README's screenshots of the demo, as a user sees ``make demo``.

Run from the repository root as ``python -m demo.screenshots [--port 8231]``. It starts the demo
(``demo/run.py``, as ``make demo PORT=...`` does) on a port of its own, logs in with the login
``demo_setup`` created, probes the served URLs of the paths table's first page (so its Served
column has answers), and saves each page of ``SHOTS`` in ``docs/`` three ways: desktop 1280 px
wide in the light and the dark colour scheme, and phone 375 px wide. Then it stops the demo, with
Ctrl-C as a user would, and kills it if it does not stop. ``--url`` takes them from a demo that is
already running instead (nothing is started or stopped then).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import django

from demo.run import BASE_DIR, port_number

DOCS = BASE_DIR / "docs"
DEFAULT_PORT = 8231
# The demo collects and plants before it answers: a bound on the wait, not a measure.
READY_WITHIN = 300.0
TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class Shot:
    """One page of the demo, saved as ``docs/<name><variant suffix>.png``."""

    name: str
    url: str
    # On a phone, what to scroll to the top first (the table under a screenful of filters).
    phone_focus: str | None = None


@dataclass(frozen=True, slots=True)
class Variant:
    """A browser window: its width, height, colour scheme and pixel density."""

    suffix: str
    width: int
    height: int
    scheme: Literal["light", "dark"]
    scale: int = 1

    @property
    def phone(self) -> bool:
        return self.width < 600


SHOTS = [
    Shot("overview", "/assets/"),
    # The README's caption: a search for "css", sorted by size.
    Shot("paths", "/assets/paths/?q=css&sort=-size", phone_focus="table.paths"),
]
VARIANTS = [
    Variant("", 1280, 900, "light"),
    Variant("-dark", 1280, 900, "dark"),
    # An ordinary phone, at its real pixel density: 750 px wide files.
    Variant("-phone", 375, 812, "light", scale=2),
]


def say(message: str) -> None:
    print(f"== {message}", flush=True)


def answers(url: str) -> bool:
    """Return True once the server answers at all (a redirect to the login counts)."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def demo_running(port: int) -> Iterator[str]:
    """Start ``make demo``'s launcher on ``port``; yield its URL once it answers; stop it."""
    url = f"http://127.0.0.1:{port}"
    if answers(url):
        raise SystemExit(f"something already answers at {url}: choose another --port")
    say(f"starting the demo on {url} (python -m demo.run --port {port})")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "demo.run", "--port", str(port)],
        cwd=BASE_DIR,
        stdin=subprocess.DEVNULL,
        process_group=0,
    )
    try:
        give_up = time.monotonic() + READY_WITHIN
        while not answers(f"{url}/assets/"):
            if launcher.poll() is not None:
                raise SystemExit(f"the demo stopped (exit code {launcher.returncode})")
            if time.monotonic() > give_up:
                raise SystemExit(f"the demo did not answer at {url} within {READY_WITHIN:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGINT)  # Ctrl-C: it stops its server and worker
            try:
                launcher.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait(30)
        say("stopped the demo")


def take(url: str, password: str, out: Path) -> list[Path]:
    """Log in at ``url``, probe the paths table's first page, save every shot; return the files."""
    from playwright.sync_api import Page, sync_playwright

    from demo.shop.management.commands.demo_setup import USERNAME
    from tests.support.browser import CHROMIUM_ARGS

    def settle(page: Page) -> None:
        # The first look at a cold project is a "Checking…" page that polls until it is ready.
        page.wait_for_load_state("networkidle")
        page.locator("#building").wait_for(state="detached", timeout=TIMEOUT_MS)

    saved: list[Path] = []
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Debian's chromium is not installed: `make chromium` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        for variant in VARIANTS:
            context = browser.new_context(
                color_scheme=variant.scheme,
                viewport={"width": variant.width, "height": variant.height},
                device_scale_factor=variant.scale,
            )
            context.set_default_timeout(TIMEOUT_MS)
            # The debug toolbar (shown to staff) starts collapsed to its handle, as after "Hide".
            context.add_init_script("window.localStorage.setItem('djdt.show', 'false')")
            page = context.new_page()
            page.goto(f"{url}/admin/login/?next=/assets/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", password)
            page.click("[type=submit]")
            page.wait_for_load_state("networkidle")
            if "/admin/login/" in page.url:
                raise SystemExit(f"could not log in as {USERNAME}: give its password (--password)")
            if not saved:  # once: the Served column then shows what the demo serves
                page.goto(f"{url}{SHOTS[-1].url}")
                settle(page)
                probe = page.locator("form.probe-form button")
                if probe.count():
                    probe.click()
                    page.wait_for_load_state("networkidle")
            for shot in SHOTS:
                page.goto(f"{url}{shot.url}")
                settle(page)
                if variant.phone and shot.phone_focus:
                    page.locator(shot.phone_focus).first.evaluate(
                        "element => element.scrollIntoView({block: 'start'})"
                    )
                path = out / f"{shot.name}{variant.suffix}.png"
                page.screenshot(path=path)
                saved.append(path)
                say(
                    f"saved {path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path}"
                )
            context.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    # The demo's settings, for the login demo_setup creates (its module needs the app registry).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from demo.shop.management.commands.demo_setup import PASSWORD, USERNAME

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port of the demo this starts (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--url", help="take them from a demo already running there (e.g. http://127.0.0.1:8000)"
    )
    parser.add_argument(
        "--password", default=PASSWORD, help=f"{USERNAME}'s password (default {PASSWORD})"
    )
    parser.add_argument("--out", type=Path, default=DOCS, help="where to save (default docs/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.url:
        take(args.url.rstrip("/"), args.password, args.out)
        return 0
    with demo_running(args.port) as url:
        take(url, args.password, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
