"""moto's server (`moto_server`, same options), with one more read-only path for the tests and
the local runner's mailbox: `GET /_send-review/sent-mail.json?since=N`, the raw messages moto's
SES accepted from the Nth on (0 when absent), oldest first, as
`{"total": T, "messages": [{"id", "destinations", "raw_data"}]}`. The list only grows (until a
reset empties it: then T is below what the reader has), so a reader that keeps what it has read
asks for the new ones alone: tests poll for their mail ten times a second, and by the end of the
suite moto holds thousands of messages, many with a PDF.

moto's own `/moto-api/data.json` serialises every object of every service it has ever made
(each stack's user pool with its attributes, buckets, keys, secrets...): by the end of the
suite, megabytes and most of a second per call, while tests poll for their mail ten times a
second. This path reads only SES's messages, from the same registry data.json reads.

moto also lists its own package directory (a `listdir` and some 180 `stat`s) to find the
service of every request it serves, twice: more than half of its time for a `GetSecretValue`
(3.1 ms in-process, 0.8 ms with the list kept). The directory does not change while the server
runs, so the list is read once.
"""
import json
import sys
from urllib.parse import parse_qs

import moto.backends
import moto.server
from moto.core.model_instances import model_data
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

SENT_MAIL_PATH = "/_send-review/sent-mail.json"


def sent_mail(since):
    # Registered when moto first loads its SES models; until then nothing was sent.
    tracked = model_data.get("ses", {}).get("RawMessage")
    messages = list(tracked.instances_tracked) if tracked is not None else []
    return {
        "total": len(messages),
        "messages": [
            {"id": m.id, "destinations": m.destinations, "raw_data": m.raw_data}
            for m in messages[since:]
        ],
    }


def since_of(query_string):
    values = parse_qs(query_string).get("since", ["0"])
    return int(values[0]) if values[0].isdigit() else 0


class WithSentMail(DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == SENT_MAIL_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(sent_mail(since_of(environ.get("QUERY_STRING", "")))).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return super().__call__(environ, start_response)


def keep_module_list():
    modules = frozenset(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules


if __name__ == "__main__":
    keep_module_list()
    moto.server.DomainDispatcherApplication = WithSentMail
    moto.server.main(sys.argv[1:])
