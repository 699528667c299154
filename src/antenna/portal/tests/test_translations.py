"""Every catalogue (fr, nl, de) is complete, and pages come out in the language asked for.

CI re-extracts the messages from the code (`makemessages`) before the tests, so a string
added without its translations fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def po_entries(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr forms and flags (stdlib only)."""
    entries: list[dict] = []
    current: dict | None = None
    key: str | None = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current and "msgid" in current:
                entries.append(current)
            current, key = None, None
            continue
        if current is None:
            current = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key and key.startswith("msgstr"):
                current["msgstr"][key] += value
            else:
                current[key] += value
        else:
            key, rest = line.split(" ", 1)
            value = ast.literal_eval(rest)
            if key.startswith("msgstr"):
                current["msgstr"][key] = value
            else:
                current[key] = value
    return entries


LANGUAGES = ["fr", "nl", "de"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_not_fuzzy(language):
    entries = po_entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries
                    if e["msgid"] and not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_keeps_placeholders(language):
    import re
    for entry in po_entries(LOCALE / language / "LC_MESSAGES" / "django.po"):
        if not entry["msgid"]:
            continue
        def names(text: str) -> set[str]:
            return set(re.findall(r"%\(\w+\)s", text))

        if "msgid_plural" not in entry:
            for translation in entry["msgstr"].values():
                assert names(translation) == names(entry["msgid"]), entry["msgid"]
            continue
        # Plural: the singular form may leave the count out ("one invitation"), the other
        # forms keep the plural's placeholders; nothing beyond the source's.
        every = names(entry["msgid"]) | names(entry["msgid_plural"])
        for key, translation in entry["msgstr"].items():
            assert names(translation) <= every, entry["msgid"]
            if key != "msgstr[0]":
                assert names(translation) == names(entry["msgid_plural"]), entry["msgid"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_present_and_current(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert mo.exists()
    # Every translated msgid of the .po is in the compiled .mo (compiled after the last edit).
    import gettext

    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in po_entries(po):
        if entry["msgid"] and "msgid_plural" not in entry:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"]["msgstr"], entry["msgid"]


@pytest.mark.django_db
def test_home_page_in_french():
    response = Client().get("/", headers={"accept-language": "fr"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert "Quatre façons d" in html
    assert "Se connecter" in html
