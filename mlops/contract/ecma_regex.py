"""JSON Schema's ``pattern`` (ECMA-262 regular expressions, Unicode mode) read as Python's ``re`` reads them.

The two dialects differ in small, dangerous ways (``\\d``, ``\\w``, ``\\s``, ``$``, ``.``); this translation
keeps what both read alike, rewrites what differs, and refuses (ValueError) what Python would read
otherwise or not at all: a schema the validator loads must never judge a string differently from CI.
"""

from __future__ import annotations

import functools
import re
import warnings


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The ECMA-262 regex (Unicode mode, as JSON Schema means) as Python's; ValueError for what differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FutureWarning: "--" in a class, which Python may one day read otherwise
        try:
            return re.compile(_translate(pattern), re.ASCII)  # ASCII: \d \w \b as ECMA-262 reads them
        except (re.error, Warning) as error:
            raise ValueError(str(error)) from None


_WHITESPACE = "\\t\\n\\v\\f\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
"""ECMA-262 ``\\s``: Python's, even without re.ASCII, leaves out U+FEFF and counts U+001C-U+001F."""
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
_QUANTIFIER = re.compile(r"[*+?]|\{[0-9]+(?:,[0-9]*)?\}", re.ASCII)
_GROUPS = ("(?:", "(?=", "(?!", "(?<=", "(?<!")


def _translate(pattern: str) -> str:
    """Rewrite an ECMA-262 pattern where Python's ``re`` reads it differently; ValueError names the rest."""
    out: list[str] = []
    groups: list[str] = []  # ECMA-262 repeats a group, not a lookaround
    i, repeatable = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            text, i = _escape_sequence(pattern, i, in_class=False)
            out.append(text)
            repeatable = text not in (r"\b", r"\B")
            continue
        if char == "[":
            text, i = _character_class(pattern, i)
            out.append(text)
            repeatable = True
            continue
        if char in "*+?{":
            quantifier = _QUANTIFIER.match(pattern, i)
            if not repeatable or quantifier is None:
                raise ValueError(f"{char!r} at {i} repeats nothing or is not a quantifier (escape it)")
            i = quantifier.end() + pattern.startswith("?", quantifier.end())
            out.append(pattern[quantifier.start() : i])
            repeatable = False
            continue
        if char == "(":
            group = next((g for g in _GROUPS if pattern.startswith(g, i)), "(")
            if group == "(" and pattern.startswith("(?", i):
                raise ValueError(f"the group at {i} is not one of ( {' '.join(_GROUPS)}")
            out.append(group)
            groups.append(group)
            i += len(group)
            repeatable = False
            continue
        if char == ")":
            if not groups:
                raise ValueError(f"the ')' at {i} closes no group")
            out.append(")")
            repeatable = groups.pop() in ("(", "(?:")
            i += 1
            continue
        if char in "]}":
            raise ValueError(f"a lone {char!r} at {i} (escape it)")
        translated = {"^": "^", "$": r"\Z", "|": "|", ".": "[^\\n\\r\\u2028\\u2029]"}
        out.append(translated.get(char, re.escape(char)))
        repeatable = char not in "^$|"
        i += 1
    return "".join(out)


def _character_class(pattern: str, start: int) -> tuple[str, int]:
    i = start + 1
    negated = pattern.startswith("^", i)
    i += negated
    if pattern.startswith("]", i):  # ECMA-262: [] matches nothing, [^] anything
        return ("(?s:.)" if negated else "(?!)"), i + 1
    out = ["[^" if negated else "["]
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\":
            text, i = _escape_sequence(pattern, i, in_class=True)
        else:
            text, i = ("-" if pattern[i] == "-" else re.escape(pattern[i])), i + 1
        out.append(text)
    if i >= len(pattern):
        raise ValueError(f"the character class at {start} is not closed")
    return "".join(out) + "]", i + 1


def _escape_sequence(pattern: str, start: int, *, in_class: bool) -> tuple[str, int]:
    """One backslash escape as Python should read it, and where the pattern goes on."""
    char = pattern[start + 1 : start + 2]
    i = start + 2
    code: int | None = None
    if not char:
        raise ValueError("the pattern ends with a backslash")
    if char in "dDwW" or char in "tnvfr" or char in _SYNTAX or (char == "-" and in_class):
        return "\\" + char, i
    if char == "s":
        return (_WHITESPACE if in_class else f"[{_WHITESPACE}]"), i
    if char == "S" and not in_class:
        return f"[^{_WHITESPACE}]", i
    if char in "bB" and not in_class:
        return "\\" + char, i
    if char == "b":
        code = 8  # backspace, inside a class
    elif char == "0" and not pattern[i : i + 1].isdigit():
        code = 0
    elif char == "c" and re.fullmatch("[A-Za-z]", pattern[i : i + 1]):
        code, i = ord(pattern[i]) % 32, i + 1
    elif char == "x" and re.fullmatch("[0-9A-Fa-f]{2}", pattern[i : i + 2]):
        code, i = int(pattern[i : i + 2], 16), i + 2
    elif char == "u":
        code, i = _unicode_escape(pattern, i)
    if code is None:
        raise ValueError(f"the escape \\{char} at {start}" + (" (Unicode property classes)" if char in "pP" else ""))
    return re.escape(chr(code)), i


def _unicode_escape(pattern: str, i: int) -> tuple[int | None, int]:
    """``\\uXXXX`` (a surrogate pair as one code point) or ``\\u{X...}``; None when malformed."""
    braced = re.match(r"\{([0-9A-Fa-f]{1,6})\}", pattern[i:])
    if braced:
        code = int(braced.group(1), 16)
        return (code if code <= 0x10FFFF else None), i + braced.end()
    if not re.fullmatch("[0-9A-Fa-f]{4}", pattern[i : i + 4]):
        return None, i
    code = int(pattern[i : i + 4], 16)
    low = re.fullmatch(r"\\u(D[C-F][0-9A-F]{2})", pattern[i + 4 : i + 10], re.IGNORECASE)
    if 0xD800 <= code <= 0xDBFF and low:
        return 0x10000 + ((code - 0xD800) << 10) + (int(low.group(1), 16) - 0xDC00), i + 10
    return code, i + 4
