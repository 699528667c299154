"""Report figures kept for a while in Django's cache: the public transparency page and its
open-data CSV (anyone, without signing in, may ask for them as often as they like) and the
outlook. Each is keyed by what it depends on (the reader's scope, the day, the language) and
kept `ANTENNA_REPORTS_CACHE_SECONDS` (default 900; 0: computed every time). docs/kpis.md says
so: these figures may be that much behind the records."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

T = TypeVar("T")


def cache_seconds() -> int:
    return int(getattr(settings, "ANTENNA_REPORTS_CACHE_SECONDS", 900))


def report_cached(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned for the same `name`, `key` and language within the
    last `cache_seconds()`."""
    seconds = cache_seconds()
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(repr((key, translation.get_language())).encode()).hexdigest()
    cache_key = f"antenna:reports:{name}:{digest[:40]}"
    found = cache.get(cache_key)
    if found is not None:
        return found
    value = compute()
    cache.set(cache_key, value, seconds)
    return value
