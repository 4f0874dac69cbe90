"""Checks uap-core.regexes.json against the rules it was converted from, with uap-python (the
`ua-parser` package, ua-parser-builtins' own consumer) as the reference implementation, on
the User-Agents of uap-core's test suites; and writes what those rules expect for them.

Two resolvers are built: one from ua-parser-builtins' compiled matchers as they ship, one
from the converted JSON through ua_parser.loaders.load_data (the loader uap-python uses for
regexes.yaml). Every User-Agent of test_ua.yaml, test_os.yaml and test_device.yaml must get
the same user agent, OS and device from both; otherwise this exits non-zero.

It also writes (OUT_JSON) the test cases whose expected result the new rules change: when
the rules come from a newer uap-core than the suites, the rules' own answer (the reference
implementation's) replaces the suite's for those cases in shortlink's conformance test
(crates/useragent/tests/uap_conformance.rs).
    PYTHONPATH=<ua-parser and ua-parser-builtins> python3 check_conversion.py \
        REGEXES_JSON UAP_TESTS_DIR OUT_JSON
"""
import gzip
import json
import os
import sys

import yaml
from ua_parser import Parser, basic, loaders
from ua_parser_builtins.matchers import MATCHERS

regexes_json, tests_dir, out_json = sys.argv[1:4]

with open(regexes_json, encoding="utf-8") as f:
    data = json.load(f)
converted = Parser(basic.Resolver(
    loaders.load_data(
        (data["user_agent_parsers"], data["os_parsers"], data["device_parsers"])
    )
))
builtin = Parser(basic.Resolver(MATCHERS))


def suite(name):
    path = os.path.join(tests_dir, name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["test_cases"]


SUITES = [
    ("test_ua.yaml", "parse_user_agent", ["family", "major", "minor", "patch"]),
    ("test_os.yaml", "parse_os", ["family", "major", "minor", "patch", "patch_minor"]),
    ("test_device.yaml.gz", "parse_device", ["family", "brand", "model"]),
]

user_agents = []
for name, _, _ in SUITES:
    user_agents += [c["user_agent_string"] for c in suite(name)]

failed = 0
changes = []
for name, method, fields in SUITES:
    cases = suite(name)
    # Every test User-Agent through this parser, not only its own suite's.
    seen = set()
    same = 0
    for ua in user_agents:
        if ua in seen:
            continue
        seen.add(ua)
        a = getattr(converted, method)(ua)
        b = getattr(builtin, method)(ua)
        if a == b:
            same += 1
        else:
            failed += 1
            if failed <= 10:
                print(f"  DIFFERENT {method}: {ua!r}\n    converted {a}\n    builtins  {b}")
    changed = 0
    for c in cases:
        r = getattr(builtin, method)(c["user_agent_string"])
        got = {"user_agent_string": c["user_agent_string"]}
        for field in fields:
            got[field] = getattr(r, field) if r else ("Other" if field == "family" else None)
        if any(got[f] != c.get(f) for f in fields):
            changed += 1
            changes.append({"suite": name, "was": {f: c.get(f) for f in fields}, **got})
    print(
        f"{method:<17} converted = builtins on {same} of {len(seen)} User-Agents; "
        f"{name}: the new rules expect otherwise than the suite in {changed} of {len(cases)} cases"
    )
with open(out_json, "w", encoding="utf-8") as f:
    json.dump({"test_cases": changes}, f, indent=1, ensure_ascii=False)
    f.write("\n")
sys.exit(1 if failed else 0)
