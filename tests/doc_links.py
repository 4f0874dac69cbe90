#!/usr/bin/env python3
"""Checks that every relative link in the Markdown documentation resolves: the file exists
and, for a link with an #anchor, the target file has a heading with that GitHub anchor.

Usage: tests/doc_links.py [FILE.md ...]  (default: README.md, CHANGELOG.md, docs/*.md,
bench/results/*.md, tests/data/README.md). Exits 1 and lists each broken link."""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"\[[^\[\]]*\]\(([^()\s]+)\)")


def slug(heading):
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def prose(path):
    """The lines of a Markdown file outside code fences."""
    fenced = False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def anchors(path):
    seen = {}
    out = set()
    for _, line in prose(path):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            s = slug(m.group(2))
            k = seen.get(s, 0)
            seen[s] = k + 1
            out.add(s if k == 0 else f"{s}-{k}")
    return out


def check(path):
    """The broken links of one file: (line, target, reason)."""
    lines = list(prose(path))
    text = "".join(re.sub(r"`[^`\n]*`", lambda m: "x" * len(m.group(0)), l) for _, l in lines)
    starts, pos = [], 0
    for n, l in lines:
        starts.append((pos, n))
        pos += len(l)
    bad, count = [], 0
    for m in LINK.finditer(text):
        target = m.group(1)
        if re.match(r"^[a-z]+:", target):
            continue
        count += 1
        n = max(s for s in starts if s[0] <= m.start())[1]
        file, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        where = f"{os.path.relpath(path, ROOT)}:{n}: {target}"
        if not os.path.exists(dest):
            bad.append(f"{where}: no such file")
        elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
            bad.append(f"{where}: no such anchor")
    return bad, count


def main():
    files = sys.argv[1:] or (
        [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "CHANGELOG.md")]
        + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
        + sorted(glob.glob(os.path.join(ROOT, "bench", "results", "*.md")))
        + [os.path.join(ROOT, "tests", "data", "README.md")]
    )
    bad, links = [], 0
    for f in files:
        b, n = check(os.path.abspath(f))
        bad += b
        links += n
    for b in bad:
        print(b)
    print(f"{len(files)} files, {links} relative links, {len(bad)} broken")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
