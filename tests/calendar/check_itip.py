#!/usr/bin/env python3
"""Checks calendar messages (iTIP, RFC 5546) with a real iCalendar parser (`icalendar`).

Usage: check_itip.py SPEC.json

SPEC is {"series": [[message, ...], ...]}: each series is the messages one recipient got about
one visit, in the order sent. A message is {"file": path, "method": "REQUEST" | "CANCEL",
"organizer": address, "attendee": address, "date": "YYYY-MM-DD", and optionally
"description": the exact text the event must carry}.

What must hold: each file parses as one calendar with one event, every line at most 75 octets;
METHOD is the one expected; ORGANIZER is the expected mailto; the recipient is an ATTENDEE;
DTSTART is the visit's date; a CANCEL says STATUS:CANCELLED and a REQUEST does not; every
message of every series has the same UID; within a series SEQUENCE strictly increases; the
description, where given, reads back exactly. Exits 1 with every failure listed.
"""
import datetime
import json
import sys

import icalendar


def addresses(value):
    """The mailto addresses of a property that may hold one value or several, lower case."""
    values = value if isinstance(value, list) else [value]
    return [str(v).lower().removeprefix("mailto:") for v in values if v is not None]


def check_message(message, failures):
    """The message's (uid, sequence), after its own checks."""
    path = message["file"]
    fail = lambda what: failures.append(f"{path}: {what}")
    raw = open(path, "rb").read()
    for number, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 75:
            fail(f"line {number} is {len(line)} octets")
    calendar = icalendar.Calendar.from_ical(raw)
    if str(calendar.get("METHOD")) != message["method"]:
        fail(f"METHOD is {calendar.get('METHOD')!r}, expected {message['method']}")
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        fail(f"{len(events)} events, expected 1")
        return None, None
    event = events[0]
    if addresses(event.get("ORGANIZER")) != [message["organizer"].lower()]:
        fail(f"ORGANIZER is {event.get('ORGANIZER')!r}, expected {message['organizer']}")
    if message["attendee"].lower() not in addresses(event.get("ATTENDEE")):
        fail(f"the recipient {message['attendee']} is not an ATTENDEE: {event.get('ATTENDEE')!r}")
    start = event.get("DTSTART")
    expected_day = datetime.date.fromisoformat(message["date"])
    if start is None or start.dt != expected_day:
        fail(f"DTSTART is {start and start.dt!r}, expected {expected_day}")
    status = str(event.get("STATUS", ""))
    if message["method"] == "CANCEL" and status != "CANCELLED":
        fail(f"a CANCEL with STATUS {status!r}")
    if message["method"] == "REQUEST" and status == "CANCELLED":
        fail("a REQUEST that says CANCELLED")
    if "description" in message and str(event.get("DESCRIPTION")) != message["description"]:
        fail(f"DESCRIPTION reads back as {str(event.get('DESCRIPTION'))!r}, "
             f"expected {message['description']!r}")
    sequence = event.get("SEQUENCE")
    if sequence is None:
        fail("no SEQUENCE")
    return str(event.get("UID")), None if sequence is None else int(sequence)


def main(spec_path):
    spec = json.load(open(spec_path, encoding="utf-8"))
    failures, uids, checked = [], set(), 0
    for series in spec["series"]:
        sequences = []
        for message in series:
            uid, sequence = check_message(message, failures)
            checked += 1
            uids.add(uid)
            sequences.append(sequence)
        if any(s is None for s in sequences) or sequences != sorted(set(sequences)):
            failures.append(f"SEQUENCE does not strictly increase in {[m['file'] for m in series]}: "
                            f"{sequences}")
    if len(uids) != 1:
        failures.append(f"the messages have {len(uids)} UIDs: {sorted(map(str, uids))}")
    for failure in failures:
        print(failure, file=sys.stderr)
    if not failures:
        print(f"{checked} calendar messages in {len(spec['series'])} series: all hold")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
