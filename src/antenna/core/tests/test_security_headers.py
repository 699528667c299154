"""Every page carries a Content-Security-Policy that forbids inline and foreign scripts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/calls/", "/api/v1/openapi.json",
                                  "/admin/login/"])
def test_pages_send_a_csp_without_inline_scripts(path):
    response = Client().get(path, follow=True)
    assert response.status_code == 200, path
    header = response["Content-Security-Policy"]
    policy = _directives(header)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], header
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_signed_in_pages_have_no_inline_script_the_csp_would_block(world):
    """The CSP would silently break an inline script: the templates must carry none."""
    client = Client()
    client.force_login(world.owner)
    for path in ["/", f"/proposals/{world.draft.pk}/", f"/allocations/{world.allocation.pk}/",
                 f"/jobs/{world.job.pk}/", "/organisations/new/"]:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        inline = [t for t in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
                  if "application/json" not in t]
        assert inline == [], (path, inline)
        assert not re.search(r"\son[a-z]+=\"", html), path
