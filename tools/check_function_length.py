#!/usr/bin/env python3
"""Reports C++ functions and files in services/ that are too long.

Usage: check_function_length.py [--max-function N] [--max-file N]
                                [--paths FILE...] [FILE...]
With no files, checks every *.cc and *.h under services/ (generated files,
which live in the build tree, are never looked at). Prints one line per
problem, "PATH:LINE: function NAME is N lines (max M)" or
"PATH: file is N lines (max M)", and exits 1 if there was any, else 0.

A function is a brace block opened at namespace or class level whose head
looks like a call signature (it has "(" and is not a class, namespace, enum
or initialiser); its length counts the lines from the head to the closing
brace. Lambdas and local classes count toward the function they are in.
"""
import argparse
import os
import re
import sys

CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else|return)\b")
SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b[^()]*$")


def strip_code(text):
    """Blanks comments and string/char literals, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = ")" + m.group(1) + '"' if m else '"'
            j = text.find(end, i + 2)
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'" and not (c == "'" and i > 0 and text[i - 1].isalnum()):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """Yields (name, first_line, line_count) for each function body."""
    code = strip_code(text)
    # Preprocessor lines do not take part in the brace structure.
    code = re.sub(r"(?m)^[ \t]*#.*(\\\n.*)*$", lambda m: re.sub(r"[^\n]", " ", m.group(0)), code)
    stack = []  # entries: ("scope"|"func"|"other", name, start_line)
    head_start = 0  # offset where the current declaration head starts
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c in ";":
            if not stack or stack[-1][0] == "scope":
                head_start = i + 1
        elif c == "{":
            in_body = any(k == "func" for k, _, _ in stack)
            head = code[head_start:i]
            kind = "other"
            if not in_body:
                flat = " ".join(head.split())
                if SCOPE.search(flat) or flat.startswith("extern"):
                    kind = "scope"
                elif "(" in flat and not CONTROL.match(flat) and "=" not in flat.split("(")[0]:
                    kind = "func"
            name = ""
            start = line
            if kind == "func":
                m = re.search(r"([~\w:<>]+(?:operator\s*\S+)?)\s*\(", " ".join(head.split()))
                name = m.group(1) if m else "?"
                stripped = head.lstrip()
                start = line - head[len(head) - len(stripped):].count("\n")
            stack.append((kind, name, start))
            head_start = i + 1
        elif c == "}":
            if stack:
                kind, name, start = stack.pop()
                if kind == "func":
                    yield name, start, line - start + 1
            if not stack or stack[-1][0] == "scope":
                head_start = i + 1


def default_paths(root):
    out = []
    for d, _, files in os.walk(os.path.join(root, "services")):
        for f in files:
            if f.endswith((".cc", ".h")) and ".pb." not in f:
                out.append(os.path.join(d, f))
    return sorted(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--max-function", type=int, default=150)
    p.add_argument("--max-file", type=int, default=700)
    p.add_argument("--paths", nargs="*", default=[])
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = a.paths + a.files or default_paths(root)
    problems = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        if lines > a.max_file:
            print(f"{path}: file is {lines} lines (max {a.max_file})")
            problems += 1
        for name, start, count in functions(text):
            if count > a.max_function:
                print(f"{path}:{start}: function {name} is {count} lines "
                      f"(max {a.max_function})")
                problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
