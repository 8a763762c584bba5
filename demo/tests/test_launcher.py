"""``make demo PORT=8222 ADDR=...``: where the launcher (``demo/run.py``) serves, and the address
every part of the demo is told (issue 19). The launcher itself, started for real, is in
``worker/test_make_demo.py``."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

from demo.run import ALLOWED_HOSTS_ENV, BASE_URL_ENV, Address, main

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("addr", "port", "addrport", "base_url"),
    [
        ("127.0.0.1", 8222, "127.0.0.1:8222", "http://127.0.0.1:8222"),
        ("0.0.0.0", 8000, "0.0.0.0:8000", "http://127.0.0.1:8000"),
        ("::1", 8222, "[::1]:8222", "http://[::1]:8222"),
        ("::", 9000, "[::]:9000", "http://[::1]:9000"),
        ("localhost", 8080, "localhost:8080", "http://localhost:8080"),
    ],
)
def test_the_address_gives_runserver_its_argument_and_the_demo_its_url(
    addr: str, port: int, addrport: str, base_url: str
) -> None:
    address = Address(addr, port)
    assert address.addrport == addrport
    assert address.env({})[BASE_URL_ENV] == base_url


def test_every_host_is_allowed_only_when_listening_on_every_interface() -> None:
    assert Address("0.0.0.0", 8000).env({})[ALLOWED_HOSTS_ENV] == "*"
    assert ALLOWED_HOSTS_ENV not in Address("127.0.0.1", 8000).env({})


def test_an_explicit_base_url_wins_over_the_address() -> None:
    """A proxy in front of the demo: the probe must go where the user says."""
    env = Address("127.0.0.1", 8222).env({BASE_URL_ENV: "https://demo.example"})
    assert env[BASE_URL_ENV] == "https://demo.example"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "eighty"], "'eighty' is not a port number (1-65535)"),
        (["--port", "70000"], "'70000' is not a port number (1-65535)"),
        (["--addr", "127.0.0.1/8"], "'127.0.0.1/8' is not an IP address or host name"),
    ],
)
def test_a_bad_address_is_refused_before_anything_starts(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["demo", "demo-s3"])
def test_make_passes_port_and_addr_to_the_launcher(target: str) -> None:
    unset = {k: v for k, v in os.environ.items() if k not in ("PORT", "ADDR")}
    default = subprocess.run(
        ["make", "-n", target],
        cwd=BASE_DIR,
        env=unset,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    chosen = subprocess.run(
        ["make", "-n", target, "PORT=8222", "ADDR=0.0.0.0"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--addr 127.0.0.1 --port 8000" in default
    assert "--addr 0.0.0.0 --port 8222" in chosen


@pytest.mark.parametrize(
    ("addr", "port", "host"),
    [("127.0.0.1", 8222, "127.0.0.1"), ("::1", 8222, "[::1]"), ("192.0.2.7", 9000, "192.0.2.7")],
)
def test_the_demo_settings_follow_the_launchers_address(
    addr: str, port: int, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What runserver and the worker read: the probe's base URL, and the host they answer to."""
    for key, value in Address(addr, port).env({}).items():
        monkeypatch.setenv(key, value)
    demo_settings = runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    assert demo_settings["ASSET_INSPECTOR"]["BASE_URL"] == Address(addr, port).base_url
    assert host in demo_settings["ALLOWED_HOSTS"]
    assert "*" not in demo_settings["ALLOWED_HOSTS"]


def test_listening_on_every_interface_answers_any_host(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in Address("0.0.0.0", 8222).env({}).items():
        monkeypatch.setenv(key, value)
    demo_settings = runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    assert demo_settings["ASSET_INSPECTOR"]["BASE_URL"] == "http://127.0.0.1:8222"
    assert "*" in demo_settings["ALLOWED_HOSTS"]
