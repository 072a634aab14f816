#!/usr/bin/env python3
"""Validate JSON documents against one of understudy's schemas.

Usage: validate-json.py SCHEMA [FILE]
  SCHEMA  a schema file (schemas/result.v1.json) or a short name (job, result, telemetry, config)
  FILE    JSON lines to check; default standard input. Blank lines are skipped.

Prints one line per failure, `line N: PATH: MESSAGE`, and a summary on standard error.
Exit status: 0 when every document is valid, 1 when one is not, 2 on a usage or schema error.
Needs the `jsonschema` package (pip install jsonschema). Formats are checked: `date-time` with a
built-in RFC 3339 check, so no extra package is needed.
"""
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:
    print("validate-json.py: the jsonschema package is not installed (pip install jsonschema)", file=sys.stderr)
    sys.exit(2)

RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)


def schema_path(argument):
    if os.path.exists(argument):
        return argument
    here = os.path.dirname(os.path.abspath(__file__))
    candidate = os.path.join(here, "..", "schemas", f"{argument}.v1.json")
    if os.path.exists(candidate):
        return candidate
    print(f"validate-json.py: no schema {argument}", file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    with open(schema_path(sys.argv[1]), encoding="utf-8") as handle:
        schema = json.load(handle)
    validator_class = jsonschema.Draft202012Validator
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as error:
        print(f"validate-json.py: invalid schema: {error.message}", file=sys.stderr)
        return 2
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time")
    def is_date_time(value):
        return not isinstance(value, str) or RFC3339.match(value) is not None

    validator = validator_class(schema, format_checker=checker)
    source = open(sys.argv[2], encoding="utf-8") if len(sys.argv) == 3 and sys.argv[2] != "-" else sys.stdin
    documents = failures = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        documents += 1
        try:
            document = json.loads(line)
        except json.JSONDecodeError as error:
            failures += 1
            print(f"line {number}: $: not JSON: {error}")
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            failures += 1
            for error in errors:
                path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                print(f"line {number}: {path}: {error.message}")
    print(f"{documents - failures} valid, {failures} invalid", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
