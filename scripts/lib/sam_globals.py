"""Writes infra/template.yaml with its SAM Globals merged into each resource, as JSON.

checkov reads a SAM template's resources but not its Globals section, so a property every
function gets from Globals (the KMS key of its environment, its concurrency limit) would look
missing. SAM's own rule is applied: a resource's value wins; maps merge key by key; lists are
the Globals' items then the resource's. Metadata (with checkov's skip comments) is kept as is.

Usage: python sam_globals.py TEMPLATE OUTPUT
"""

import json
import sys

from cfnlint.decode import decode

GLOBAL_TYPES = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
    "SimpleTable": "AWS::Serverless::SimpleTable",
    "StateMachine": "AWS::Serverless::StateMachine",
}


def merge(global_value, local_value):
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        # An intrinsic function (one key, "Ref" or "Fn::...") is a value, not a map to merge.
        if len(local_value) == 1 and next(iter(local_value)).startswith(("Ref", "Fn::")):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def main(source, target):
    template, matches = decode(source)
    if matches:
        for match in matches:
            print(match, file=sys.stderr)
        return 1
    globals_section = template.pop("Globals", {})
    for section, resource_type in GLOBAL_TYPES.items():
        defaults = globals_section.get(section)
        if not defaults:
            continue
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") == resource_type:
                resource["Properties"] = merge(defaults, resource.get("Properties", {}))
    with open(target, "w", encoding="utf-8") as out:
        json.dump(template, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
