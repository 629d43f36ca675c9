"""Regular expressions written by users, run by RE2 (the `google-re2` package).

Python's `re` backtracks: `(a+)+$` against forty a's and a b takes more than a day, and a
mapping runs on every synced record. RE2 matches in time linear in the text by design, so no
pattern can stall a sync and no timeout is needed. What it gives up is what
needs backtracking: backreferences (\\1, (?P=name)), lookahead and lookbehind, atomic groups
and possessive quantifiers. Its time is also proportional to the size of the compiled
pattern, so patterns are capped in length, nesting, repetition counts and compiled size,
and refused when saved with a message saying what to simplify.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import re2
from re2 import _re2  # the compiled RE2 object's Match, used by compile_sub

from mappings.engine.problems import shown

MAX_PATTERN_CHARS = 1000
MAX_NESTING = 100  # groups inside groups
MAX_REPEAT = 1000  # RE2's own limit for {n,m}; larger counts would be read as literal text
MAX_PROGRAM_SIZE = 2000  # RE2 instructions; matching costs up to text length x this
MAX_MEM = 8 << 20  # RE2's default, said out loud: the compiled program and its DFA cache

Regex = Any  # re2's compiled pattern (it has no public type)


class PatternError(ValueError):
    """A pattern (or replacement) that is refused; the message says what to change."""


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False  # errors become PatternError messages, not lines on stderr
    return options


_OPTIONS = _options()
# Repetition in RE2 syntax: {n}, {n,} or {n,m}; any other brace is a literal character.
_REPEAT = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}")
_PLAIN_GROUPS = ("(?:", "(?P<", "(?<")


def compile_pattern(pattern: str, flags: str = "") -> Regex:
    """The compiled pattern; flags are any of i (ignore case), m (^ and $ at line breaks) and
    s (. matches a line break). Raises PatternError."""
    if len(pattern) > MAX_PATTERN_CHARS:
        _too_large(f"it has {len(pattern):,} characters, at most {MAX_PATTERN_CHARS:,}")
    depth = 0
    for kind, text, level in tokens(pattern):
        depth = max(depth, level)
        if kind == "repeat" and text.startswith("{"):
            counts = _REPEAT.fullmatch(text).groups()  # type: ignore[union-attr]
            if any(count and int(count) > MAX_REPEAT for count in counts):
                _too_large(f"{text} repeats more than {MAX_REPEAT:,} times")
    if depth > MAX_NESTING:
        _too_large(f"its groups nest {depth} deep, at most {MAX_NESTING}")
    try:
        compiled = re2.compile(f"(?{flags}){pattern}" if flags else pattern, _OPTIONS)
    except re2.error as error:
        raise PatternError(_explain(_message(error), pattern)) from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        _too_large(
            f"it compiles to {compiled.programsize:,} steps, at most {MAX_PROGRAM_SIZE:,} "
            "(long repetitions such as .{500} are the usual cause)"
        )
    return compiled


def _too_large(reason: str):
    raise PatternError(f"This pattern is too large/complex: {reason}; simplify it")


def _message(error: re2.error) -> str:
    message = error.args[0] if error.args else ""
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def _explain(message: str, pattern: str) -> str:
    """RE2's error, with what to do instead where Python's syntax differs."""
    if "pattern too large" in message or "invalid repetition size" in message:
        return f"This pattern is too large/complex: more than RE2 allows ({message}); simplify it"
    if re.search(r"invalid escape sequence: \\[1-9]", message) or "(?P=" in pattern:
        return (
            "backreferences such as \\1 or (?P=name) are not supported: the RE2 engine, which "
            f"matches in linear time, has none ({message})"
        )
    if any(f"({op}" in message for op in ("?=", "?!", "?<=", "?<!")):
        return (
            "lookahead and lookbehind such as (?=…) and (?<!…) are not supported: the RE2 "
            f"engine, which matches in linear time, has none ({message})"
        )
    if "(?>" in message or any(f": {q}+" in message for q in "*+?}"):
        return (
            "atomic groups and possessive quantifiers are not supported (and not needed: RE2 "
            f"never backtracks) ({message})"
        )
    if "\\Z" in message:
        return f"write \\z for the end of the text; RE2 has no \\Z ({message})"
    return f"not a valid regular expression: {message}"


def tokens(pattern: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, depth) for each piece of an RE2 pattern, in order. Kinds: "escape",
    "quoted" (\\Q...\\E), "class" ([...]), "open" (with the group's head, e.g. "(?:"), "close",
    "repeat" (*, +, ?, {n,m}), "alt" (|), "any" (., ^, $) and "char". Depth counts the groups
    around the piece (an "open" is inside its own group). Classes and escapes are one piece,
    so a brace or parenthesis inside them is never read as structure."""
    i, depth, end = 0, 0, len(pattern)
    while i < end:
        char = pattern[i]
        if char == "\\":
            stop = _escape_end(pattern, i)
            kind = "quoted" if pattern.startswith("Q", i + 1) else "escape"
            yield kind, pattern[i:stop], depth
            i = stop
            continue
        if char == "[":
            stop = _class_end(pattern, i)
            yield "class", pattern[i:stop], depth
            i = stop
            continue
        if char == "(":
            depth += 1
            head = next((g for g in _PLAIN_GROUPS if pattern.startswith(g, i)), "(")
            if pattern.startswith("(?", i) and head == "(":
                close = pattern.find(")", i)
                head = pattern[i : close + 1 if close >= 0 else end]
            yield "open", head, depth
            i += 1
            continue
        if char == ")":
            yield "close", char, depth
            depth = max(0, depth - 1)
        elif char == "{" and (repeat := _REPEAT.match(pattern, i)):
            yield "repeat", repeat.group(), depth
            i = repeat.end()
            continue
        elif char in "*+?":
            yield "repeat", char, depth
        elif char == "|":
            yield "alt", char, depth
        elif char in ".^$":
            yield "any", char, depth
        else:
            yield "char", char, depth
        i += 1


def _escape_end(pattern: str, i: int) -> int:
    """Where the escape starting at pattern[i] (a backslash) ends."""
    letter = pattern[i + 1 : i + 2]
    if letter == "Q":
        stop = pattern.find("\\E", i + 2)
        return len(pattern) if stop < 0 else stop + 2
    if letter in ("p", "P", "x") and pattern.startswith("{", i + 2):
        stop = pattern.find("}", i + 2)
        return len(pattern) if stop < 0 else stop + 1
    if letter in ("p", "P"):
        return i + 3  # \pL: one-letter class name
    if letter == "x":
        return i + 4  # \x41
    if letter.isdigit():
        stop = i + 2
        while stop < min(len(pattern), i + 4) and pattern[stop] in "01234567":
            stop += 1
        return stop
    return i + 2


def _class_end(pattern: str, i: int) -> int:
    """Where the character class starting at pattern[i] ("[") ends (past its "]")."""
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1  # a ] first is a literal
    while j < len(pattern):
        if pattern[j] == "\\":
            j = _escape_end(pattern, j)
        elif pattern.startswith("[:", j) and (stop := pattern.find(":]", j + 2)) >= 0:
            j = stop + 2  # [:alpha:]
        elif pattern[j] == "]":
            return j + 1
        else:
            j += 1
    return len(pattern)


_LITERAL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}


def required_character(pattern: str, flags: str = "") -> str | None:
    """A character every match of `pattern` contains, when the pattern says so plainly: a
    literal at its top level (not inside a group, an alternative or a repeat), with case
    mattering. Text without that character cannot match, so a regex_replace of an address
    without a line break costs a substring test instead of a scan. None when there is no
    such character or the pattern has anything this does not read (flags, for one)."""
    if "i" in flags:
        return None
    pieces = list(tokens(pattern))
    for kind, text, depth in pieces:
        if kind == "alt" and depth == 0:
            return None
        if kind == "open" and text not in ("(", *_PLAIN_GROUPS):
            return None  # (?i) and other flags change what a literal matches
    for index, (kind, text, depth) in enumerate(pieces):
        if depth or kind not in ("char", "escape"):
            continue
        following = pieces[index + 1] if index + 1 < len(pieces) else None
        if following is not None and following[0] == "repeat":
            continue
        if kind == "char":
            return text
        letter = text[1:]
        if letter in _LITERAL_ESCAPES:
            return _LITERAL_ESCAPES[letter]
        if len(letter) == 1 and letter.isascii() and not letter.isalnum():
            return letter  # \. \( \\ and the like
    return None


# --- replacements --------------------------------------------------------------------------------
_REPLACEMENT_ESCAPES = {**_LITERAL_ESCAPES, "b": "\b", "\\": "\\"}


def compile_replacement(replacement: str, regex: Regex) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The replacement read as Python's re.sub reads it: \\1 to \\99 and \\g<name> insert a
    group, \\n and the like are characters, \\0 and \\123 are octal, other escapes of letters
    are errors, any other escape is kept as written. Returns (texts, groups): the texts with
    the group numbers between them. Raises PatternError naming the bad part, so a wrong
    replacement is found when the rule is saved, not on the first record that matches."""
    texts: list[str] = []
    groups: list[int] = []
    literal: list[str] = []
    i, end = 0, len(replacement)
    while i < end:
        stop = replacement.find("\\", i)
        if stop < 0:
            literal.append(replacement[i:])
            break
        literal.append(replacement[i:stop])
        i = stop
        letter = replacement[i + 1 : i + 2]
        if not letter:
            raise PatternError("it ends with a lone backslash (write \\\\ for one)")
        octal = re.match(r"0[0-7]{0,2}|[0-7]{3}", replacement[i + 1 : i + 4])
        number = re.match(r"[0-9]{1,2}", replacement[i + 1 : i + 3])
        name = re.match(r"g<([^>]*)>", replacement[i + 1 :])
        if octal and int(octal.group(), 8) <= 0o377:
            literal.append(chr(int(octal.group(), 8)))
            i += 1 + len(octal.group())
        elif number:
            texts.append("".join(literal))
            groups.append(_group_number(number.group(), regex))
            literal = []
            i += 1 + len(number.group())
        elif name:
            texts.append("".join(literal))
            groups.append(_group_number(name.group(1), regex))
            literal = []
            i += 1 + len(name.group())
        elif letter == "g":
            raise PatternError("write \\g<name> or \\g<number> to insert a group")
        elif letter in _REPLACEMENT_ESCAPES:
            literal.append(_REPLACEMENT_ESCAPES[letter])
            i += 2
        elif letter.isascii() and letter.isalpha():
            raise PatternError(f"bad escape \\{letter} (write \\\\{letter} for a backslash)")
        else:
            literal.append("\\" + letter)
            i += 2
    texts.append("".join(literal))
    return tuple(texts), tuple(groups)


def compile_sub(regex: Regex, replacement: str) -> Callable[[str], str]:
    """`text -> text` with every match of `regex` replaced, as `re.sub` does (empty matches
    included). Raises PatternError for a bad replacement.

    re2's own `sub` converts every match's offsets back to character positions in Python;
    this works on the UTF-8 bytes RE2 matches and decodes once, several times faster on the
    short values records have. It uses re2's low-level `Match` (the pinned version's); the
    tests hold it to re2's public `sub`."""
    texts, groups = compile_replacement(replacement, regex)
    try:
        parts = tuple(text.encode("utf-8") for text in texts)
    except UnicodeEncodeError:
        raise PatternError("the replacement is not valid Unicode text") from None
    first, rest = parts[0], tuple(zip(groups, parts[1:], strict=True))
    search = regex._regexp.Match
    unanchored = _re2.RE2.Anchor.UNANCHORED

    def sub(text: str) -> str:
        data = text.encode("utf-8")
        end = len(data)
        spans = search(unanchored, data, 0, end)
        if spans[0][0] < 0:
            return text
        out, last = [], 0
        while True:
            start, stop = spans[0]
            out.append(data[last:start])
            out.append(first)
            for group, part in rest:
                group_start, group_stop = spans[group]
                if group_start >= 0:
                    out.append(data[group_start:group_stop])
                out.append(part)
            last = position = stop
            if start == stop:
                # Not the same empty match again: look on from the next character (UTF-8
                # continuation bytes are 0b10xxxxxx).
                if stop == end:
                    break
                position += 1
                while position < end and data[position] & 0xC0 == 0x80:
                    position += 1
            spans = search(unanchored, data, position, end)
            if spans[0][0] < 0:
                break
        out.append(data[last:])
        return b"".join(out).decode("utf-8")

    return sub


def _group_number(reference: str, regex: Regex) -> int:
    if reference.isdigit():
        group = int(reference)
        if group > regex.groups:
            have = f"has {regex.groups} group{'s' if regex.groups != 1 else ''}"
            raise PatternError(f"there is no group {group}: the pattern {have}")
        return group
    if reference not in regex.groupindex:
        raise PatternError(f"the pattern has no group named {shown(reference)}")
    return regex.groupindex[reference]
