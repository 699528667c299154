"""Stored text in four languages (django-modeltranslation), the rules every app follows.

A translated field (`Call.title`) has one column per language: `title_en`, `title_fr`,
`title_nl`, `title_de`. Reading `call.title` gives the active language's text, or the English
one when that is empty. Services write with `in_base_language()` active, so the plain name
(`title=`) is always the English text and the others are written by their own names
(`title_fr=`), as the API and the admin take them (docs/i18n.md).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import cast

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise, lazy

BASE_LANGUAGE: str = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
OTHER_LANGUAGES: tuple[str, ...] = tuple(
    code for code in settings.MODELTRANSLATION_LANGUAGES if code != BASE_LANGUAGE)


def translation_names(*fields: str) -> list[str]:
    """The names of the other languages' columns of `fields`: `title_fr`, `title_nl`, ..."""
    return [f"{field}_{code}" for field in fields for code in OTHER_LANGUAGES]


def base_language_names(*fields: str) -> list[str]:
    """The English columns (`title_en`): written through the plain name, never directly."""
    return [f"{field}_{BASE_LANGUAGE}" for field in fields]


def in_base_language() -> AbstractContextManager[None]:
    """Activate English while a service reads or writes translated fields by their plain name."""
    return translation.override(BASE_LANGUAGE)


def read_when_shown(obj: object, field: str) -> Promise:
    """`obj.field`, read only when turned into text: in the language active then. A notice is
    rendered in each recipient's language, so its stored texts must be read that late."""
    return cast(Promise, lazy(lambda: str(getattr(obj, field)), str)())
