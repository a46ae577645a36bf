"""Parse VBA with a real VBA grammar (PyPI `antlr4-vba`, an ANTLR 4 grammar written from
[MS-VBAL]), as the VBA editor would on each platform.

[MS-VBAL] 3.4 makes conditional compilation a pass of its own before the module is parsed;
`antlr4-vba` follows it with two grammars. So a module is
1. parsed with the conditional-compilation grammar (`vba_cc`: #Const, #If/#ElseIf/#Else/#End If
   well formed and balanced), then
2. for each target (Windows 64-bit, Mac), reduced to the lines that target compiles (directive
   lines and inactive branches become blank lines, so line numbers stay) and parsed with the
   VBA grammar (`vbaParser.startRule`).
Class and document modules are stored without the `VERSION 1.0 CLASS` header that exported
.cls files carry; the header the grammar expects is put in front of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from antlr4 import CommonTokenStream, InputStream
from antlr4.atn.PredictionMode import PredictionMode
from antlr4.error.ErrorListener import ErrorListener

TARGETS = {
    "Windows": {"MAC": False, "WIN64": True, "WIN32": True, "VBA7": True, "VBA6": True, "MAC_OFFICE_VERSION": 0},
    "Mac": {"MAC": True, "WIN64": False, "WIN32": False, "VBA7": True, "VBA6": True, "MAC_OFFICE_VERSION": 16},
}
CLASS_HEADER = "VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"


@dataclass(frozen=True)
class SyntaxProblem:
    target: str
    line: int
    column: int
    message: str


class _Collect(ErrorListener):
    def __init__(self, target: str, offset: int = 0):
        self.target, self.offset, self.problems = target, offset, []

    def syntaxError(self, recognizer, symbol, line, column, msg, e):  # noqa: N802 (ANTLR's name)
        self.problems.append(SyntaxProblem(self.target, line - self.offset, column, msg[:160]))


def _run(lexer_cls, parser_cls, text: str, listener: _Collect) -> None:
    # SLL prediction first: the same language, far faster in the Python runtime; when SLL reports
    # an error the module is parsed again with full LL, and only LL's errors count (ANTLR's
    # documented two-stage strategy)
    for mode in (PredictionMode.SLL, PredictionMode.LL):
        attempt = _Collect(listener.target, listener.offset)
        lexer = lexer_cls(InputStream(text))
        lexer.removeErrorListeners()
        lexer.addErrorListener(attempt)
        parser = parser_cls(CommonTokenStream(lexer))
        parser._interp.predictionMode = mode
        parser.removeErrorListeners()
        parser.addErrorListener(attempt)
        parser.startRule()
        if not attempt.problems:
            return
    listener.problems += attempt.problems


def _crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text if text.endswith("\r\n") else text + "\r\n"


_DIRECTIVE = re.compile(r"^\s*#(If|ElseIf|Else|End If|Const)\b(.*?)(?:\bThen\b.*)?$", re.I)


def _cc_value(expression: str, names: dict) -> bool:
    """A conditional-compilation expression of the kinds VBA modules use (names, =, <>, >=, Not,
    And, Or, string and number literals)."""
    expr = re.sub(r"'.*$", "", expression).strip()
    expr = re.sub(r"(?<![<>])=(?!=)", "==", expr).replace("<>", "!=")
    expr = re.sub(r"\bNot\b", " not ", expr, flags=re.I)
    expr = re.sub(r"\bAnd\b", " and ", expr, flags=re.I)
    expr = re.sub(r"\bOr\b", " or ", expr, flags=re.I)
    expr = re.sub(r"\bTrue\b", "True", expr, flags=re.I)
    expr = re.sub(r"\bFalse\b", "False", expr, flags=re.I)
    env = {k.upper(): v for k, v in names.items()}
    expr = re.sub(r"\b([A-Za-z_]\w*)\b",
                  lambda m: m.group(1) if m.group(1) in ("not", "and", "or", "True", "False")
                  else repr(env.get(m.group(1).upper(), False)), expr)
    return bool(eval(expr, {"__builtins__": {}}))  # noqa: S307 - our own, tiny expressions


def compiled_lines(source: str, target: str) -> str:
    """The module as `target` compiles it: directive lines and inactive branches blanked."""
    names = dict(TARGETS[target])
    out, stack = [], []  # stack of (this branch active, some branch taken, parent active)
    for line in source.split("\r\n"):
        m = _DIRECTIVE.match(line)
        active = all(s[0] for s in stack)
        if not m:
            out.append(line if active else "")
            continue
        kind, rest = m.group(1).lower(), m.group(2)
        if kind == "const":
            if active:
                name, _, value = rest.partition("=")
                names[name.strip().upper()] = _cc_value(value, names) if not value.strip().startswith('"') \
                    else value.split("'")[0].strip().strip('"')
        elif kind == "if":
            value = active and _cc_value(rest, names)
            stack.append([value, value, active])
        elif kind == "elseif":
            top = stack[-1]
            value = top[2] and not top[1] and _cc_value(rest, names)
            top[0], top[1] = value, top[1] or value
        elif kind == "else":
            top = stack[-1]
            top[0], top[1] = top[2] and not top[1], True
        else:
            stack.pop()
        out.append("")
    if stack:
        raise SyntaxError(f"{len(stack)} #If without #End If")
    return "\r\n".join(out)


_PROCEDURE_START = re.compile(r"^(?:(?:Public|Private|Friend)\s+)?(?:Static\s+)?(?:Sub|Function|Property\s+(?:Get|Let|Set))\s",
                              re.I)
_PROCEDURE_END = re.compile(r"^End\s+(?:Sub|Function|Property)\b", re.I)


def chunks(body: str) -> list[tuple[int, str]]:
    """(first line - 1, text) of the module's declarations section, then of each procedure (with the module header put before each procedure). A procedural module body is declarations followed by
    procedures ([MS-VBAL] 4.2), so each chunk is itself a valid module; parsing them one by one keeps
    the Python ANTLR runtime's LL fallback local to the procedure that needs it."""
    lines = body.split("\r\n")
    parts, start, inside = [], 0, False
    for i, line in enumerate(lines):
        if not inside and _PROCEDURE_START.match(line):
            if i > start:
                parts.append((start, i))
            start, inside = i, True
        elif inside and _PROCEDURE_END.match(line):
            parts.append((start, i + 1))
            start, inside = i + 1, False
    parts.append((start, len(lines)))
    return [(a, "\r\n".join(lines[a:b]) + "\r\n") for a, b in parts if any(x.strip() for x in lines[a:b])]


def vba_syntax_problems(source: str) -> list[SyntaxProblem]:
    """Every syntax error of one module, for each target platform."""
    from antlr4_vba.vbaLexer import vbaLexer
    from antlr4_vba.vbaParser import vbaParser

    text = _crlf(source)
    is_class = re.search(r"^Attribute VB_(Base|PredeclaredId)\b", text, re.M) is not None
    # Office writes VB_Base, VB_TemplateDerived and a module VB_Description for class and document
    # modules; [MS-VBAL] 4.2's class header does not list them, so they are blanked (lines stay)
    text = re.sub(r"(?m)^Attribute VB_(Base|TemplateDerived|Description) = [^\r\n]*", "", text)
    problems: list[SyntaxProblem] = []
    seen: set[tuple[int, str]] = set()  # a procedure both targets compile alike is parsed once
    for target in TARGETS:
        try:
            body = compiled_lines(text, target)
        except (IndexError, SyntaxError, NameError) as exc:
            return [SyntaxProblem("conditional compilation", 0, 0, f"unbalanced or unreadable #If: {exc}")]
        for i, (first, chunk) in enumerate(chunks(body)):
            if (first, chunk) in seen:
                continue
            seen.add((first, chunk))
            # the grammar wants a module header first: the module's own for the first chunk (with the
            # class header in front for a class), a procedural one for each procedure after it
            header = (CLASS_HEADER if is_class else "") if i == 0 else 'Attribute VB_Name = "Chunk"\r\n'
            listener = _Collect(target, offset=header.count("\r\n") - first)
            _run(vbaLexer, vbaParser, header + chunk, listener)
            problems += listener.problems
    return problems
