"""Schemathesis hooks for the API contract stage of scripts/test (SCHEMATHESIS_HOOKS).

Two things a schema cannot say, supplied here so that every positive case is really valid:
- each Idempotency-Key must be new: a generated key repeats (often "0") and a repeat with
  another body is rightly refused (422), so a key that fits the schema is swapped for a UUID;
- visit windows are relative to today (they start at least 21 days ahead, end at most 365 days
  ahead, and end on or after their start): each generated window of two real dates is moved into
  that range, keeping which dates differ. Anything not a real date is left alone, so negative
  cases stay negative.
Both are done in `before_call`, which every phase runs (the `map_*` hooks miss the coverage
phase); Schemathesis re-checks a case's validity after the hook has changed it.
"""

import datetime
import re
import uuid

import schemathesis

VISIBLE_ASCII = re.compile(r"[!-~]{1,255}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A day's margin inside the allowed range, in case the run crosses midnight (UTC).
FIRST_DAY, LAST_DAY = 22, 364


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if headers is not None:
        key = headers.get("Idempotency-Key")
        if isinstance(key, str) and VISIBLE_ASCII.fullmatch(key):
            headers["Idempotency-Key"] = str(uuid.uuid4())
    _move_visit_windows(case.body)


def _date(value):
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _move(day, today):
    span = LAST_DAY - FIRST_DAY + 1
    return today + datetime.timedelta(days=FIRST_DAY + day.toordinal() % span)


def _move_visit_windows(body):
    windows = body.get("visit_windows") if isinstance(body, dict) else None
    if not isinstance(windows, list):
        return
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for window in windows:
        if not isinstance(window, dict):
            continue
        start, end = _date(window.get("start")), _date(window.get("end"))
        if start is None or end is None:
            continue
        start, end = sorted([_move(start, today), _move(end, today)])
        window["start"], window["end"] = start.isoformat(), end.isoformat()
