#!/usr/bin/env python3
"""Lists the Swift functions (func, init, deinit, computed properties' bodies are not counted)
longer than a limit, in lines from the declaration to its closing brace.

    scripts/long-functions.py [--limit 60] [FOLDER...]     (default: Sources)

Prints `LINES  FILE:LINE  NAME`, longest first; exits 1 when there is one. Strings and comments
are skipped when braces are counted, so a '{' in a message does not open a block.
"""
import argparse
import os
import re
import sys

DECLARATION = re.compile(r"\b(func\s+([^\s(<]+)|init[?!]?\s*[(<]|deinit\b)")


def code_only(text):
    """The text with string literals and comments replaced by spaces (line breaks kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
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
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def long_functions(path, limit):
    with open(path, encoding="utf-8") as handle:
        code = code_only(handle.read())
    lines = code.split("\n")
    found = []
    for number, line in enumerate(lines):
        match = DECLARATION.search(line)
        if not match:
            continue
        name = match.group(2) or match.group(0).strip("(< ")
        # The body starts at the first '{' after the declaration (a protocol requirement has none).
        depth, start, end = 0, None, None
        for index in range(number, len(lines)):
            segment = lines[index] if index != number else lines[index][match.start():]
            for char in segment:
                if char == "{":
                    depth += 1
                    start = index if start is None else start
                elif char == "}":
                    depth -= 1
                    if start is not None and depth == 0:
                        end = index
                        break
            if end is not None or (start is None and index > number and lines[index].strip() == ""):
                break
        if start is None or end is None:
            continue
        length = end - number + 1
        if length > limit:
            found.append((length, path, number + 1, name))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("folders", nargs="*", default=["Sources"])
    arguments = parser.parse_args()
    found = []
    for folder in arguments.folders:
        for directory, _, files in os.walk(folder):
            for name in sorted(files):
                if name.endswith(".swift"):
                    found += long_functions(os.path.join(directory, name), arguments.limit)
    for length, path, line, name in sorted(found, key=lambda item: (-item[0], item[1], item[2])):
        print(f"{length:5}  {path}:{line}  {name}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
