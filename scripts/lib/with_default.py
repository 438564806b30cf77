"""Writes a copy of a template with one parameter's default changed, so the checks can see the
template as a deploy with that parameter set would (both modes of an optional part).

The Default line of the parameter's block is replaced as text: the YAML's short-form tags stay
as they are.

Usage: python with_default.py TEMPLATE PARAMETER VALUE OUTPUT
"""

import json
import re
import sys


def main(source, parameter, value, target):
    with open(source, encoding="utf-8") as f:
        text = f.read()
    block = re.compile(
        r"(^  " + re.escape(parameter) + r":\n(?:    .*\n)*?    Default: ).*$", re.MULTILINE
    )
    rendered, count = block.subn(lambda m: m.group(1) + json.dumps(value), text, count=1)
    if count != 1:
        sys.exit(f"{source}: no Default for parameter {parameter}")
    with open(target, "w", encoding="utf-8") as f:
        f.write(rendered)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
