"""A real OpenID Connect provider process on loopback for the tests (oidc-provider-mock),
and the browser's part of a sign-in, done with `requests` against it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from django.test import Client


@dataclass
class OidcProvider:
    """The running provider: its issuer URL and a way to set a person's claims there."""

    issuer: str

    def set_claims(self, sub: str, claims: dict[str, Any]) -> None:
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def sign_in(self, client: Client, sub: str, next_url: str = "") -> tuple[int, str]:
        """Start at Antenna's /oidc/login/, authorise `sub` at the provider, follow the
        redirect back to Antenna's callback; returns the callback's status and Location."""
        start = client.get("/oidc/login/" + (f"?next={next_url}" if next_url else ""))
        assert start.status_code == 302, start
        authorize_url = start["Location"]
        assert authorize_url.startswith(self.issuer)
        page = requests.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        back = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert back.status_code == 302, back.text
        callback = urlsplit(back.headers["Location"])
        response = client.get(f"{callback.path}?{callback.query}")
        return response.status_code, response.get("Location", "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command() -> str:
    beside = Path(sys.executable).with_name("oidc-provider-mock")
    found = str(beside) if beside.exists() else shutil.which("oidc-provider-mock")
    assert found, "oidc-provider-mock is missing: install the test extra (pip install -e .[test])"
    return found


@contextmanager
def running_provider(*users: Mapping[str, Any]) -> Iterator[OidcProvider]:
    """Start `oidc-provider-mock` on a free loopback port with these predefined users."""
    port = _free_port()
    args = [_command(), "-p", str(port), "-H", "127.0.0.1"]
    for claims in users:
        args += ["--user-claims", json.dumps(claims)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        issuer = f"http://127.0.0.1:{port}"
        try:
            _wait_for(issuer, process, log)
            yield OidcProvider(issuer=issuer)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(issuer: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration",
                            timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            err = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"oidc-provider-mock did not start: {err}")
        time.sleep(0.1)
