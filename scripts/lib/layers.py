#!/usr/bin/env python3
"""Checks the workspace's layering rules; exits 1 and says what broke when any fails.

1. No import cycle between the top-level modules (a file or folder directly under src/) of any
   crate, read from `crate::x` paths, `use crate::{x, ...}` and, in nested files, `super::x`.
   Test code (the items marked `#[cfg(test)]`, and files named tests.rs or under a tests/
   folder) is left out: a test may use any module of its crate.
2. The library crates depend on each other only downwards:
   records <- frameworks <- {workflows <- coordination} <- {mail, web}.
3. No library crate over 10,000 lines of non-test code.
4. No Rust source file over 900 lines.

Usage: layers.py [REPO]
"""
import os
import re
import sys

# Each library crate and the workspace crates it may depend on.
LAYERS = {
    "records": set(),
    # A visit's calendar messages (iTIP): text, and what the emails about a visit store.
    "itip": {"records"},
    # Review frameworks: data and their store, over records' domain types and table.
    "frameworks": {"records"},
    # Programme insights: counters kept from the stream, and the feedback that feeds them.
    "insights": {"records"},
    # The TTL backstop on every item of a request: which stream records move it, and the rule.
    "ttl-backstop": {"records"},
    # What the stream functions share: a batch in order, the first failure reported.
    "stream-batch": {"records"},
    # The visit day's plan and verbal feedback: rules, stored shapes and their use cases.
    "visit-day": {"records", "frameworks", "itip"},
    "workflows": {"records", "frameworks", "itip"},
    # The coordinator's use cases: the workflows' layer, beside them (workflows is full).
    "coordination": {"records", "frameworks", "workflows", "itip"},
    "mail": {"records", "frameworks", "workflows", "coordination", "itip", "insights", "visit-day"},
    "web": {"records", "frameworks", "workflows", "coordination", "itip", "insights", "visit-day"},
}
MAX_LIBRARY_LINES = 10_000
MAX_FILE_LINES = 900
SKIP_DIRS = {".git", "target", "node_modules", ".venv", ".local"}


def crates(repo):
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        if "Cargo.toml" in files and os.path.isdir(os.path.join(root, "src")):
            yield root


def rust_files(directory):
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".rs"):
                yield os.path.join(root, name)


def is_test_file(src, path):
    parts = os.path.relpath(path, src).split(os.sep)
    return parts[-1] == "tests.rs" or "tests" in parts[:-1]


def production_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return without_test_items(f.read())


def without_test_items(text):
    """The text with each `#[cfg(test)]` item left out (a test module's block, a test-only
    `use` or function), and the code after it kept."""
    kept, start = [], 0
    while (at := text.find("#[cfg(test)]", start)) != -1:
        kept.append(text[start:at])
        start = item_end(text, at + len("#[cfg(test)]"))
        if text.startswith("\n", start):
            start += 1
    kept.append(text[start:])
    return "".join(kept)


def item_end(text, i):
    """Where the item starting at `i` ends: after its `;` or its outermost closing brace.
    Skips strings, chars and comments, so that braces in them do not count."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i == -1 else i
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = n if i == -1 else i + 2
            continue
        raw = re.match(r'r(#*)"', text[i : i + 20]) if c == "r" else None
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = '"' + raw.group(1)
            i = text.find(close, i + raw.end())
            i = n if i == -1 else i + len(close)
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        char = re.match(r"'(\\.|[^\\'])'", text[i : i + 4]) if c == "'" else None
        if char:
            i += char.end()
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == ";" and depth == 0:
            return i + 1
        i += 1
    return n


def module_graph(src):
    graph, lines = {}, 0
    for path in rust_files(src):
        head = os.path.relpath(path, src).split(os.sep)[0]
        module = head[:-3] if head.endswith(".rs") else head
        # Test code counts for cycles (a test module importing upward still ties the modules
        # together), not for size; the crate root counts for size, not as a module.
        if not is_test_file(src, path):
            lines += production_text(path).count("\n")
        if module in ("lib", "main"):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        uses = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
        for group in re.findall(r"use\s+crate::\{([^}]*)\}", text):
            uses |= set(re.findall(r"(?:^|,)\s*([a-z_][a-z0-9_]*)", group))
        if os.path.dirname(path) != src:
            uses |= set(re.findall(r"\bsuper::([a-z_][a-z0-9_]*)", text))
        graph.setdefault(module, set()).update(uses - {module})
    for module in graph:
        graph[module] &= set(graph)
    return graph, lines


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def workspace_dependencies(crate_dir):
    with open(os.path.join(crate_dir, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    sections = re.split(r"(?m)^\[", text)
    deps = set()
    for section in sections:
        if section.startswith("dependencies]"):
            deps |= set(re.findall(r"(?m)^([a-z0-9_-]+)\s*(?:\.workspace|=)", section[13:]))
    return deps & set(LAYERS)


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else "."
    problems, sizes = [], []
    for crate in crates(repo):
        name = os.path.relpath(crate, repo)
        src = os.path.join(crate, "src")
        graph, lines = module_graph(src)
        for component in cycles(graph):
            problems.append(f"{name}: import cycle between modules {', '.join(component)}")
        library = os.path.basename(crate)
        if library in LAYERS and os.path.dirname(os.path.relpath(crate, repo)) in ("", "crates"):
            sizes.append(f"{library} {lines}")
            if lines > MAX_LIBRARY_LINES:
                problems.append(
                    f"{name}: {lines} lines of non-test code (at most {MAX_LIBRARY_LINES})"
                )
            upward = workspace_dependencies(crate) - LAYERS[library]
            if upward:
                problems.append(
                    f"{name}: depends on {', '.join(sorted(upward))}, not below it "
                    "(records <- frameworks <- workflows <- coordination <- {mail, web})"
                )
    for path in rust_files(repo):
        with open(path, encoding="utf-8", errors="replace") as f:
            count = sum(1 for _ in f)
        if count > MAX_FILE_LINES:
            problems.append(
                f"{os.path.relpath(path, repo)}: {count} lines (at most {MAX_FILE_LINES})"
            )
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(
        "layers: no import cycle, dependencies point down, crates and files within size "
        f"(non-test lines: {', '.join(sizes)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
