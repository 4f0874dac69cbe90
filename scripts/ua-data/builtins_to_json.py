"""Converts ua-parser-builtins' compiled rules (ua_parser_builtins/matchers.py, uap-core's
regexes.yaml rendered as Python calls) back into regexes.yaml's shape, as JSON.

The file is read with `ast`, never imported or run. Each call's arguments are put back under
regexes.yaml's keys in the order ua_parser.loaders.load_data passes them to the matchers:
  UserAgentMatcher(regex, family_replacement, v1..v4_replacement)
  OSMatcher(regex, os_replacement, os_v1..os_v4_replacement)
  DeviceMatcher(regex, regex_flag, device_replacement, brand_replacement, model_replacement)
Absent (None) arguments are left out, as regexes.yaml leaves them out.
    python3 builtins_to_json.py MATCHERS_PY > uap-core.regexes.json
"""
import ast
import json
import sys

KEYS = {
    "UserAgentMatcher": (
        "user_agent_parsers",
        ["regex", "family_replacement", "v1_replacement", "v2_replacement",
         "v3_replacement", "v4_replacement"],
        {"family": 1, "major": 2, "minor": 3, "patch": 4, "patch_minor": 5},
    ),
    "OSMatcher": (
        "os_parsers",
        ["regex", "os_replacement", "os_v1_replacement", "os_v2_replacement",
         "os_v3_replacement", "os_v4_replacement"],
        {"family": 1, "major": 2, "minor": 3, "patch": 4, "patch_minor": 5},
    ),
    "DeviceMatcher": (
        "device_parsers",
        ["regex", "regex_flag", "device_replacement", "brand_replacement",
         "model_replacement"],
        {"regex_flag": 1, "family": 2, "brand": 3, "model": 4},
    ),
}


def convert(source):
    calls = [
        n for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in KEYS
    ]
    # The first rule that matches wins, so the file's order is kept.
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    out = {"user_agent_parsers": [], "os_parsers": [], "device_parsers": []}
    for node in calls:
        section, keys, keyword_index = KEYS[node.func.id]
        if len(node.args) > len(keys):
            raise SystemExit(f"line {node.lineno}: {len(node.args)} arguments to {node.func.id}")
        values = [None] * len(keys)
        for i, arg in enumerate(node.args):
            values[i] = ast.literal_eval(arg)
        for kw in node.keywords:
            values[keyword_index[kw.arg]] = ast.literal_eval(kw.value)
        entry = {k: v for k, v in zip(keys, values) if v is not None}
        if not isinstance(entry.get("regex"), str):
            raise SystemExit(f"line {node.lineno}: no regex")
        if entry.get("regex_flag") not in (None, "i"):
            raise SystemExit(f"line {node.lineno}: regex_flag {entry['regex_flag']!r}")
        out[section].append(entry)
    return out


if __name__ == "__main__":
    rules = convert(open(sys.argv[1], encoding="utf-8").read())
    for section, entries in rules.items():
        if not entries:
            raise SystemExit(f"no {section} in {sys.argv[1]}")
    print(json.dumps(rules, indent=0, ensure_ascii=False))
