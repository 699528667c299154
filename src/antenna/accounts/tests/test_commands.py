"""The CLI: antenna create_user, create_token, seed_demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from antenna.accounts.models import ApiToken, User
from antenna.testing import ApiClient

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()
            if m._meta.app_label not in ("sessions", "admin", "contenttypes")}


def test_create_user_with_role():
    output = _run("create_user", "olga", "--email", "olga@example.org", "--password",
                  "Long-and-unusual-42", "--role", "operator")
    assert "Created user olga with role operator" in output
    user = User.objects.get(username="olga")
    assert user.is_operator and user.check_password("Long-and-unusual-42")
    assert user.password != "Long-and-unusual-42"


@pytest.mark.parametrize(("args", "message"), [
    (["--password", "short"], "too short"),
    (["--password", "Long-and-unusual-42", "--role", "king"], "invalid choice"),
])
def test_create_user_refuses_bad_input(args, message):
    with pytest.raises((CommandError, SystemExit)) as excinfo:
        call_command("create_user", "bob", *args, stdout=StringIO(), stderr=StringIO())
    if isinstance(excinfo.value, CommandError):
        assert message in str(excinfo.value)
    assert not User.objects.filter(username="bob").exists()


def test_create_user_refuses_a_taken_username():
    _run("create_user", "olga", "--password", "Long-and-unusual-42")
    with pytest.raises(CommandError, match="taken"):
        _run("create_user", "OLGA", "--password", "Long-and-unusual-42")


def test_create_token_prints_a_working_token_stored_hashed():
    _run("create_user", "olga", "--password", "Long-and-unusual-42")
    output = _run("create_token", "olga", "--name", "laptop")
    key = output.strip().splitlines()[-1]
    assert key.startswith("ant_") and len(key) > 30
    token = ApiToken.objects.get(user__username="olga")
    assert token.name == "laptop"
    assert key not in {token.key_hash, token.prefix}
    assert token.key_hash == ApiToken.hash_key(key)
    for row in ApiToken.objects.values():
        assert key not in [str(v) for v in row.values()]
    response = ApiClient(None, token=key).get("/organizations")
    assert response.status_code == 200
    assert ApiClient(None, token=key[:-1] + "x").get("/organizations").status_code == 401


def test_create_token_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="No user 'ghost'"):
        _run("create_token", "ghost")


def test_seed_demo_is_idempotent():
    _run("seed_demo")
    first = _row_counts()
    assert first["accounts.User"] >= 7
    assert first["calls.Call"] == 4
    assert first["factories.Factory"] == 3
    assert first["allocations.Allocation"] == 1
    _run("seed_demo")
    assert _row_counts() == first


def test_user_and_token_writes_are_audited():
    from antenna.accounts.services import token_create, user_create
    from antenna.core.models import AuditEvent

    admin = user_create(username="admin", email="", password="x", role="operator",
                        check_password=False)
    olga = user_create(username="olga", email="", password="x", by=admin,
                       check_password=False)
    token_create(user=olga)
    events = [(e.action, e.actor, e.target_type) for e in AuditEvent.objects.order_by("id")]
    assert events == [("user.create", None, "accounts.user"),
                      ("user.create", admin, "accounts.user"),
                      ("token.create", olga, "accounts.apitoken")]
