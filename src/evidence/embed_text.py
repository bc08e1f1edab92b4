#!/usr/bin/env python3
"""embed_text.py IN OUT NAME: writes a header defining `inline constexpr char NAME[]` with the
bytes of IN as a raw string literal, so the binary carries a schema it validates against."""
import sys

src, dst, name = sys.argv[1:4]
text = open(src, encoding="utf-8").read()
delim = "hgembed"
if ")" + delim + '"' in text:
    sys.exit(f"{src}: contains the raw-string delimiter ){delim}\"")
with open(dst, "w", encoding="utf-8") as out:
    out.write(f"#pragma once\n// Generated from {src.split('/')[-1]} by embed_text.py.\n")
    out.write(f'inline constexpr char {name}[] = R"{delim}({text}){delim}";\n')
