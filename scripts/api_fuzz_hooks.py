"""What schemathesis needs to know that JSON Schema cannot say (loaded by scripts/api-fuzz.sh).

Neither hook turns a check off: they only keep the fuzzer from calling "valid" a body that the
OpenAPI document itself (docs/api.md, "Rules between fields") says is refused.

- The format `be-enterprise-number` (a Belgian organisation's KBO/BCE number): ten digits whose
  last two are 97 minus the first eight modulo 97. A pattern cannot state the check digits, so
  the fuzzer generates valid numbers for it; invalid ones stay in the negative cases.
- `POST /api/v1/calls`: `max_gpu_hours >= min_gpu_hours` and `closes_on >= opens_on` when both
  are given; `POST /api/v1/events`: `ends_at > starts_at`, and a `place` when `online` is
  false; a job's `array` (`POST /api/v1/jobs`, each job of `POST /api/v1/jobs/batch`): at
  most 1,000 tasks, indexes up to 1,000,000, ranges in order, steps and `%N` at least 1
  (its pattern states the form, not these numbers).
- `POST /api/v1/proposals/{id}/attachment`: the file must be a PDF (`%PDF-` first); `map_case`
  gives every phase's generated files that start (bytes, schemathesis' `Binary`, or text: a
  `map_body` that handled bytes only let a text file through on 2026-12-03).

JSON Schema cannot compare two fields; the server answers 422 with a sentence, and the fuzzer
draws no body that breaks these rules.

One failure is dropped after a check: a multipart form carries text, so a body field the
fuzzer turned into `false` or `null` arrives as the valid string "false" or "null".
`filter_failure` drops that "schema-violating request accepted" only when the body, as sent,
passes the operation's schema.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jsonschema_rs
import schemathesis
from hypothesis import strategies as st
from schemathesis.transport.serialization import Binary


def _enterprise_number(body: int, dotted: bool) -> str:
    digits = f"{body:08d}{97 - body % 97:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}" if dotted else digits


# The first digit is 0 or 1 (normalize_enterprise_number in organizations/enterprise_number.py).
schemathesis.openapi.format(
    "be-enterprise-number",
    st.builds(_enterprise_number, st.integers(0, 19_999_999), st.booleans()),
)


def _breaks_call_rules(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    low, high = body.get("min_gpu_hours"), body.get("max_gpu_hours")
    # 30036.0 is a whole number to the server too: any JSON number counts (not true/false).
    numbers = [v for v in (low, high) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == 2 and numbers[1] < numbers[0]:
        return True
    opens, closes = body.get("opens_on"), body.get("closes_on")
    return isinstance(opens, str) and isinstance(closes, str) and closes < opens


def _breaks_event_rules(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    place = body.get("place", "")
    if body.get("online") is False and isinstance(place, str) and not place.strip():
        return True
    starts, ends = body.get("starts_at"), body.get("ends_at")
    if not (isinstance(starts, str) and isinstance(ends, str)):
        return False
    try:
        start, end = datetime.fromisoformat(starts), datetime.fromisoformat(ends)
        return bool(end <= start)
    except (ValueError, TypeError):  # unparsable or naive/aware mix: the schema judges it
        return False


def _breaks_array_rules(spec: Any) -> bool:
    """jobs/arrays.py `array_indexes`' limits, for a spec its pattern already accepts."""
    if not isinstance(spec, str) or not spec.strip():
        return False
    body, sep, limit = spec.partition("%")
    if sep and (not limit.isdigit() or int(limit) < 1):
        return True
    count = 0
    for item in body.split(","):
        bounds, _colon, step_text = item.partition(":")
        first_text, _dash, last_text = bounds.partition("-")
        try:
            first = int(first_text)
            last = int(last_text) if last_text else first
            step = int(step_text) if step_text else 1
        except ValueError:
            return False  # not the pattern's form: the schema judges it
        if last < first or step < 1 or last > 1_000_000:
            return True
        count += (last - first) // step + 1
    return count > 1000


def _breaks_job_rules(path: str, body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if path.endswith("/jobs/batch"):
        jobs = body.get("jobs")
        return isinstance(jobs, list) and any(
            isinstance(job, dict) and _breaks_array_rules(job.get("array")) for job in jobs)
    return _breaks_array_rules(body.get("array"))


def _breaks_rules(method: str, path: str, body: Any) -> bool:
    if method.upper() != "POST":
        return False
    if path.endswith("/jobs") or path.endswith("/jobs/batch"):
        return _breaks_job_rules(path, body)
    if path.endswith("/calls"):
        return _breaks_call_rules(body)
    if path.endswith("/events"):
        return _breaks_event_rules(body)
    return False


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    # Every phase (coverage, fuzzing, stateful) draws bodies through this filter. A dropped
    # negative body would have been refused anyway (422), so no check loses a case it could
    # fail on.
    operation = context.operation
    if operation is not None:
        return not _breaks_rules(operation.method, operation.path, body)
    return True


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    # The coverage phase builds its cases without `filter_body`: keep its positive ones (those
    # it expects to be accepted) to the same rules; its negative ones are left alone.
    meta = case.meta
    positive = meta is None or meta.generation.mode.is_positive
    if positive:
        return not _breaks_rules(case.operation.method, case.operation.path, case.body)
    return True


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    # Values the fuzzer takes from earlier responses are put into a case after the filters
    # above: a new call whose bounds or dates break the rules, refused with 422, is the server
    # keeping its word, not a failure. Every other failure stands.
    operation = case.operation
    if (response.status_code == 422
            and _breaks_rules(operation.method, operation.path, case.body)):
        return False
    # A multipart form carries text only: a field the fuzzer turned from a string into `false`,
    # `3` or `null` arrives as the string "false", "3" or "null", which the schema accepts. Such
    # a "schema-violating request accepted" is not one: the failure stands only when the body,
    # as the server receives it, still breaks the schema.
    return not (getattr(failure, "code", "") == "ST201"
                and _multipart_body_is_valid_as_sent(case))


def _multipart_body_is_valid_as_sent(case: Any) -> bool:
    media_type = (case.media_type or "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data" or not isinstance(case.body, dict):
        return False
    raw = case.operation.definition.raw
    schema = (raw.get("requestBody", {}).get("content", {}).get("multipart/form-data", {})
              .get("schema"))
    if not isinstance(schema, dict) or "$ref" in json.dumps(schema):
        return False  # only the inline schemas this API has; anything else stays a failure
    sent: dict[str, str] = {}
    for name, value in case.body.items():
        # A list goes out as one part per item, and Django's form data keeps the last one.
        parts = value if isinstance(value, list) else [value]
        if parts:
            sent[name] = _as_form_text(parts[-1])
    return bool(jsonschema_rs.Draft202012Validator(schema).is_valid(sent))


def _as_form_text(value: Any) -> str:
    if type(value) is str:  # schemathesis' Binary (a file's bytes) is a str subclass
        return value
    if value is None or isinstance(value, bool | int | float | list | dict):
        return json.dumps(value)
    return "file"  # a file part (bytes, schemathesis' Binary): its content is not the schema's


_ATTACHMENT = "/proposals/{proposal_id}/attachment"


def _as_pdf(value: Any) -> Any:
    """A generated file part given the `%PDF-` start; anything that is not a file is kept."""
    if isinstance(value, Binary):  # schemathesis' wrapper of a file's bytes (a str subclass)
        data = bytes(value.data)
        return value if data.startswith(b"%PDF-") else Binary(b"%PDF-" + data)
    if isinstance(value, bytes | bytearray):
        return value if bytes(value).startswith(b"%PDF-") else b"%PDF-" + bytes(value)
    if isinstance(value, str):  # some phases draw a binary field as text
        return value if value.startswith("%PDF-") else "%PDF-" + value
    return value


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    # A proposal's attachment must be a PDF (it starts with `%PDF-`; a rule on the file's
    # content, docs/api.md): every phase's file parts are given that start, so the cases test
    # everything else about the upload (size, quota, who may attach). A file part that is not
    # bytes or text (a negative case's number, null...) is left as drawn.
    operation = case.operation
    if (operation.method.upper() == "POST" and operation.path.endswith(_ATTACHMENT)
            and isinstance(case.body, dict) and "file" in case.body):
        case.body = {**case.body, "file": _as_pdf(case.body["file"])}
    return case
