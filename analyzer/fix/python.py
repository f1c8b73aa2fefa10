"""Python fixes as one libcst pass: formatting, comments and quoting survive.

libcst keeps every byte of the tree it did not touch, so a fix is a small
change in a diff, not a reformatted module. All the edits of one file are made
in one pass over the original tree, matched by the positions the scan
reported (ast's lines and byte columns), so an edit never shifts another's
target. Imports and the module logger are added once, where a person would
put them (analyzer.fix.pyimports).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from analyzer.core.model import Finding
from analyzer.fix.base import FileContext, FileFix, FixOptions, number
from analyzer.fix.cstnodes import (
    annotated_query,
    append_arg,
    is_pass,
    keyword_of,
    kwarg,
    may_take_default,
    newline,
    query_call,
    spaced_comma,
)
from analyzer.fix.pyimports import ensure_from_import, ensure_logger, logger_name
from analyzer.fix.settings import SettingsIndex
from analyzer.parsers.pynodes import TreeIndex
from analyzer.parsers.python import collect_imports

CODES = ("PY001", "PY007", "PY011", "PY012", "API005", "API006", "API014")

_LOG_MESSAGE = '"unexpected error"'
_IMPORT_SYS = re.compile(r"^import sys\s*(?:#.*)?$", re.MULTILINE)
_TWILIO_HTTP_CLIENT_POSITION = 5  # Client(username, password, account_sid, region, http_client)
_DEBUG_FLAGS = ("debug", "reload")


def fix(
    text: str,
    findings: Sequence[Finding],
    options: FixOptions,
    context: FileContext | None = None,
) -> FileFix:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return FileFix(text, (), tuple((f, "libcst cannot parse the file") for f in findings))
    settings = SettingsIndex(text, context.path, context.root) if context else None
    fixer = _Fixer(text, findings, options, settings)
    new = MetadataWrapper(module).visit(fixer)
    if fixer.needs_logger and fixer.logger is not None:
        new = ensure_logger(new, fixer.logger)
    if fixer.needs_query:
        new = ensure_from_import(new, "fastapi", "Query")
    for source, name in dict.fromkeys(fixer.imports):
        new = ensure_from_import(new, source, name)
    gzip = [f for f in findings if f.code == "API006"]
    if gzip:
        new = _add_gzip(new, text, gzip, fixer)
    fixed = tuple(f for f in findings if id(f) in fixer.done)
    skipped = tuple(
        (f, fixer.reasons.get(id(f), "no automatic fix for this form"))
        for f in findings
        if id(f) not in fixer.done
    )
    return FileFix(new.code if fixed else text, fixed, skipped)


class _Fixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        text: str,
        findings: Sequence[Finding],
        options: FixOptions,
        settings: SettingsIndex | None = None,
    ) -> None:
        super().__init__()
        self.lines = text.splitlines()
        self.options = options
        self.settings = settings
        self.targets: dict[tuple[int, int], list[Finding]] = {}
        for f in findings:
            if f.line is not None:
                self.targets.setdefault((f.line, (f.column or 1) - 1), []).append(f)
        self.done: set[int] = set()
        self.reasons: dict[int, str] = {}
        self.logger = logger_name(text)
        self.imports_sys = bool(_IMPORT_SYS.search(text))
        self.needs_logger = False
        self.needs_query = False
        self.imports: list[tuple[str, str]] = []  # (module, name) a fix refers to
        self.may_default: set[int] = set()  # required parameters a default can be given to
        self.bounded = 0  # parameters given a bound so far: tells a def it grew
        self._defs: list[int] = []  # `bounded` when each enclosing def was entered
        # ruff/black's default line length, or the longest line the file already has
        self.max_line = max([88, *(len(line) for line in self.lines)])

    # ------------------------------------------------------------------ positions

    def _at(self, node: cst.CSTNode, *codes: str) -> list[Finding]:
        """Findings of `codes` reported where `node` starts (ast columns are UTF-8 bytes)."""
        pos: CodeRange = self.get_metadata(PositionProvider, node)
        start = (pos.start.line, self._bytes(pos.start.line, pos.start.column))
        end = (pos.end.line, self._bytes(pos.end.line, pos.end.column))
        return [
            f
            for f in self.targets.get(start, [])
            if f.code in codes
            and (f.end_line is None or (f.end_line, (f.end_column or 1) - 1) == end)
        ]

    def _bytes(self, line: int, column: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text[:column].encode("utf-8"))

    def _skip(self, findings: list[Finding], reason: str) -> None:
        for f in findings:
            self.reasons[id(f)] = reason

    def _mark(self, findings: list[Finding]) -> None:
        self.done.update(id(f) for f in findings)

    # ------------------------------------------------------------------ calls

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        result: cst.BaseExpression = updated
        timeouts = self._at(original, "PY001")
        if timeouts:
            result = self._timeout(updated, timeouts)
        prints = self._at(original, "PY007")
        if prints and isinstance(result, cst.Call):
            result = self._print(result, prints)
        debug = self._at(original, "PY011", "API014") + [
            f
            for a in original.args
            if a.keyword is not None and a.keyword.value in _DEBUG_FLAGS
            for f in self._at(a, "API014") + self._at(a.value, "API014")
        ]
        if debug and isinstance(result, cst.Call):
            line = self.get_metadata(PositionProvider, original).start.line
            result = self._debug_off(result, debug, line)
        if timeouts and isinstance(result, cst.Call) and result is not updated:
            result = self._fit(original, updated, result)
        return result

    def _fit(self, original: cst.Call, before: cst.Call, after: cst.Call) -> cst.Call:
        """An argument that pushes a one-line call past the line length: one per line, with
        the magic trailing comma, as ruff format and black lay it out."""
        where: CodeRange = self.get_metadata(PositionProvider, original)
        if where.start.line != where.end.line or not after.args:
            return after
        code = cst.Module(body=[]).code_for_node
        line = self.lines[where.start.line - 1]
        if len(line) + len(code(after)) - len(code(before)) <= self.max_line:
            return after
        indent = line[: len(line) - len(line.lstrip())]
        args = list(after.args)
        laid = [
            a.with_changes(
                comma=cst.Comma(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=newline(indent if i == len(args) - 1 else indent + "    "),
                )
            )
            for i, a in enumerate(args)
        ]
        return after.with_changes(whitespace_before_args=newline(indent + "    "), args=laid)

    def _timeout(self, call: cst.Call, findings: list[Finding]) -> cst.Call:
        value = cst.parse_expression(number(self.options.timeout))
        existing = next((a for a in call.args if keyword_of(a) == "timeout"), None)
        anchors = {f.anchor for f in findings}
        if existing is not None and all(a.endswith(":none") for a in anchors):
            self._mark(findings)
            return call.with_changes(
                args=[a.with_changes(value=value) if a is existing else a for a in call.args]
            )
        if existing is None and all(
            a.startswith(("timeout:requests.", "timeout:session.", "timeout:urllib3."))
            for a in anchors
        ):
            self._mark(findings)
            return call.with_changes(args=append_arg(call.args, kwarg("timeout", value)))
        if existing is None and anchors == {"timeout:aiohttp.ClientSession"}:
            return self._aiohttp_timeout(call, findings, value)
        if anchors == {"timeout:twilio.rest.Client"}:
            return self._twilio_timeout(call, findings, value)
        self._skip(findings, "this client takes its timeout in another form; see the rule's fix")
        return call

    def _aiohttp_timeout(
        self, call: cst.Call, findings: list[Finding], value: cst.BaseExpression
    ) -> cst.Call:
        """`timeout=ClientTimeout(total=N)`, spelled through the name the session came by."""
        if isinstance(call.func, cst.Attribute):  # aiohttp.ClientSession, aiohttp.client.…
            timeout: cst.BaseExpression = call.func.with_changes(attr=cst.Name("ClientTimeout"))
        elif isinstance(call.func, cst.Name) and call.func.value == "ClientSession":
            timeout = cst.Name("ClientTimeout")
            self.imports.append(("aiohttp", "ClientTimeout"))
        else:  # imported under another name: which module it came from is not visible here
            self._skip(findings, "ClientSession is imported under another name")
            return call
        arg = kwarg("timeout", cst.Call(timeout, args=[kwarg("total", value)]))
        self._mark(findings)
        return call.with_changes(args=append_arg(call.args, arg))

    def _twilio_timeout(
        self, call: cst.Call, findings: list[Finding], value: cst.BaseExpression
    ) -> cst.Call:
        """`http_client=TwilioHttpClient(timeout=N)`: the client Twilio builds when given
        none, with a timeout; anything else about the requests stays as it was."""
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) >= _TWILIO_HTTP_CLIENT_POSITION or any(a.star for a in call.args):
            self._skip(findings, "the Client's arguments may already reach `http_client`")
            return call
        client = cst.Call(cst.Name("TwilioHttpClient"), args=[kwarg("timeout", value)])
        self.imports.append(("twilio.http.http_client", "TwilioHttpClient"))
        self._mark(findings)
        return call.with_changes(args=append_arg(call.args, kwarg("http_client", client)))

    def _print(self, call: cst.Call, findings: list[Finding]) -> cst.BaseExpression:
        if not (isinstance(call.func, cst.Name) and call.func.value == "print"):
            return call
        if self.logger is None:
            self._skip(findings, "the module binds `logger` to something else")
            return call
        stream = next((a.value for a in call.args if keyword_of(a) == "file"), None)
        level = self._print_level(stream)
        args = [a for a in call.args if keyword_of(a) not in ("flush", "file")]
        if level is None or not args or any(a.keyword is not None or a.star for a in args):
            self._skip(findings, "print() with sep=/end=/file= or unpacking is left for a person")
            return call
        self._mark(findings)
        self.needs_logger = True
        func = cst.Attribute(value=cst.Name(self.logger), attr=cst.Name(level))
        if len(args) == 1:
            return call.with_changes(
                func=func, args=[args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
            )
        fmt = cst.Arg(cst.SimpleString('"' + " ".join(["%s"] * len(args)) + '"'))
        return call.with_changes(func=func, args=append_arg([fmt], *args))

    def _print_level(self, stream: cst.BaseExpression | None) -> str | None:
        """`info` for standard output; `warning` for standard error, where diagnostics go
        (not `error`: error reports page people, and a print to stderr never did)."""
        if stream is None:
            return "info"
        if (
            isinstance(stream, cst.Attribute)
            and isinstance(stream.value, cst.Name)
            and stream.value.value == "sys"
            and self.imports_sys
        ):
            return {"stdout": "info", "stderr": "warning"}.get(stream.attr.value)
        return None

    def _debug_off(self, call: cst.Call, findings: list[Finding], line: int) -> cst.Call:
        """The flag read from the module's settings when they declare it, else plain `False`."""
        args = []
        for a in call.args:
            name = keyword_of(a)
            if name in _DEBUG_FLAGS and isinstance(a.value, cst.Name) and a.value.value == "True":
                read = self.settings.expression(name, line) if self.settings else None
                a = a.with_changes(value=cst.parse_expression(read or "False"))
            elif (
                name == "log_level"
                and isinstance(a.value, cst.SimpleString)
                and str(a.value.evaluated_value).lower() in ("debug", "trace")
            ):
                quote = a.value.quote
                a = a.with_changes(value=cst.SimpleString(f"{quote}info{quote}"))
            args.append(a)
        self._mark(findings)
        return call.with_changes(args=args)

    # ------------------------------------------------------------------ except

    def leave_ExceptHandler(
        self, original: cst.ExceptHandler, updated: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        found = self._at(original, "PY012")
        if not found or updated.type is not None:
            return updated
        if self.logger is None:
            self._skip(found, "the module binds `logger` to something else")
            return updated
        if not isinstance(updated.body, cst.IndentedBlock):
            self._skip(found, "a one-line handler is left for a person")
            return updated
        self._mark(found)
        self.needs_logger = True
        log = cst.parse_statement(f"{self.logger}.exception({_LOG_MESSAGE})\n")
        body = list(updated.body.body)
        if len(body) == 1 and is_pass(body[0]):
            first = body[0]
            assert isinstance(first, cst.SimpleStatementLine)
            body = [log.with_changes(leading_lines=first.leading_lines)]
        else:
            body.insert(0, log)
        return updated.with_changes(
            type=cst.Name("Exception"),
            whitespace_after_except=cst.SimpleWhitespace(" "),
            body=updated.body.with_changes(body=body),
        )

    # ------------------------------------------------------------------ query bounds

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._defs.append(self.bounded)
        self.may_default.update(id(p) for p in may_take_default(node.params))

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        """A bound that pushes a one-line parameter list past the line length: one per line.

        That is the layout ruff format and black give it, with the magic trailing comma that
        keeps it that way.
        """
        if self.bounded == self._defs.pop():
            return updated
        params = updated.params
        if (
            params.posonly_params
            or params.kwonly_params
            or isinstance(params.star_arg, (cst.Param, cst.ParamStar))
            or params.star_kwarg is not None
            or not params.params
        ):
            return updated
        first = original.params.params[0]
        last = original.params.params[-1]
        end = last.default or (last.annotation or last.name)
        where: CodeRange = self.get_metadata(PositionProvider, first)
        if where.start.line != self.get_metadata(PositionProvider, end).end.line:
            return updated  # already laid out over several lines
        code = cst.Module(body=[]).code_for_node
        line = self.lines[where.start.line - 1]
        grown = len(line) + len(code(params)) - len(code(original.params))
        if grown <= self.max_line:
            return updated
        head = self.get_metadata(PositionProvider, original.name).start.line
        text = self.lines[head - 1]
        indent = text[: len(text) - len(text.lstrip())]

        items = list(params.params)
        laid = [
            p.with_changes(
                whitespace_after_param=cst.SimpleWhitespace(""),
                comma=cst.Comma(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=newline(indent if i == len(items) - 1 else indent + "    "),
                ),
            )
            for i, p in enumerate(items)
        ]
        return updated.with_changes(
            whitespace_before_params=newline(indent + "    "),
            params=params.with_changes(params=laid),
        )

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        found = self._at(original.name, "API005") or self._at(original, "API005")
        if not found:
            return updated
        bound = self.options.max_limit
        default = updated.default
        if isinstance(default, cst.Integer):
            bound = max(bound, int(default.value))
        le = kwarg("le", cst.Integer(str(bound)))
        query = query_call(default) or annotated_query(updated.annotation)
        self.bounded += 1
        if query is not None:
            self._mark(found)
            patched = query.with_changes(args=append_arg(query.args, le))
            return cst.ensure_type(updated.deep_replace(query, patched), cst.Param)
        if default is None and id(original) not in self.may_default:
            self._skip(found, "a required parameter followed by ones without a default")
            return updated
        self._mark(found)
        self.needs_query = True
        first = default if default is not None else cst.Ellipsis()  # `...`: still required
        call = cst.Call(cst.Name("Query"), args=[cst.Arg(first, comma=spaced_comma()), le])
        if default is None:  # `limit: int` -> `limit: int = Query(..., le=100)`
            return updated.with_changes(
                default=call,
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(" " if updated.annotation else ""),
                    whitespace_after=cst.SimpleWhitespace(" " if updated.annotation else ""),
                ),
            )
        return updated.with_changes(default=call)


# ---------------------------------------------------------------------- compression

_APP_CLASSES = {
    "fastapi.FastAPI": "fastapi.middleware.gzip",
    "fastapi.applications.FastAPI": "fastapi.middleware.gzip",
    "starlette.applications.Starlette": "starlette.middleware.gzip",
}
_MIN_SIZE = 1000  # bytes: below this, compressing costs more than it saves


def _add_gzip(module: cst.Module, text: str, findings: list[Finding], fixer: _Fixer) -> cst.Module:
    """API006: `app.add_middleware(GZipMiddleware, ...)` right after the app is created.

    The finding names the app variable in its anchor (`API006:app:<module>:<var>`)
    but has no line: the app's assignment is found in the file, at module level
    or inside the factory function that builds it.
    """
    try:
        imports = collect_imports(TreeIndex(ast.parse(text)), "")
    except (SyntaxError, ValueError):
        imports = {}
    var = (findings[0].anchor or "").rpartition(":")[2]
    adder = _GZip(var, imports)
    new = module.visit(adder)
    if adder.source is None:
        fixer._skip(findings, "the app's `FastAPI(...)` assignment is not in this file")
        return module
    fixer._mark(findings)
    return ensure_from_import(new, adder.source, "GZipMiddleware")


class _GZip(cst.CSTTransformer):
    def __init__(self, var: str, imports: dict[str, str]) -> None:
        super().__init__()
        self.var = var
        self.imports = imports
        self.source: str | None = None  # the gzip module to import, once inserted

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=self._insert(updated.body))

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated.with_changes(body=self._insert(updated.body))

    def _insert(self, body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
        out = list(body)
        if self.source is not None:
            return out
        for i, stmt in enumerate(out):
            found = self._app(stmt)
            if found is None:
                continue
            name, source = found
            self.source = source
            line = cst.parse_statement(
                f"{name}.add_middleware(GZipMiddleware, minimum_size={_MIN_SIZE})\n"
            )
            out.insert(i + 1, line)
            return out
        return out

    def _app(self, stmt: cst.BaseStatement) -> tuple[str, str] | None:
        """(variable, gzip module) when `stmt` is `<var> = FastAPI(...)`."""
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target: cst.BaseExpression = small.targets[0].target
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target = small.target
        else:
            return None
        value = small.value
        if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
            return None
        if self.var and target.value != self.var:
            return None
        name = cst.helpers.get_full_name_for_node(value.func) or ""
        head, _, rest = name.partition(".")
        resolved = self.imports.get(head, head) + (f".{rest}" if rest else "")
        source = _APP_CLASSES.get(resolved)
        return (target.value, source) if source else None
