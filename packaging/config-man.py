#!/usr/bin/env python3
"""verifyd.toml(5) from docs/configuration.md, so the page never drifts from the reference.

Prints Markdown for go-md2man: a title block and NAME section first; each table row becomes a
tagged paragraph (key, default, meaning), since wide tables do not fit a terminal; a list gets the
blank line before it that go-md2man needs; links keep their text only.
  packaging/config-man.py docs/configuration.md VERSION | go-md2man > verifyd.toml.5
"""
import re
import sys


def cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def convert(lines, version):
    out = [f'% VERIFYD.TOML 5 "" "verifyd {version}"', "", "# NAME", "",
           "verifyd.toml - configuration of verifyd, the backup verification daemon", ""]
    header = None
    previous = ""
    for number, line in enumerate(lines[1:], start=2):  # line 1 is the document's own title
        line = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.rstrip("\n"))
        if line.startswith("|"):
            row = cells(line)
            if header is None:
                header = row
            elif not all(set(cell) <= set("-: ") for cell in row):
                if len(row) != len(header):
                    sys.exit(f"configuration.md:{number}: a table row with {len(row)} cells, its header has {len(header)}")
                out.append(f"**{row[0]}**")
                out.extend(f": {cell}" if name == "meaning" else f": {name}: {cell}" for name, cell in zip(header[1:], row[1:]))
                out.append("")
            previous = line
            continue
        header = None
        if line.startswith("- ") and previous.strip() and not previous.startswith(("- ", "  ")):
            out.append("")
        if line.startswith("#"):
            line = "#" + line.lstrip("#").upper() if line.startswith("## ") else line[1:]
        out.append(line)
        previous = line
    out += ["", "# SEE ALSO", "", "verifyd(8), verifyd-hooks(8), verifyctl(1)", ""]
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source:
        print(convert(source.readlines(), sys.argv[2]))
