"""A Python file as an `ast` tree plus its imports resolved to qualified names.

The standard `ast` module is several times faster than a concrete syntax
tree and keeps every line and column the rules need; the tree is picklable,
so the judge phase reads the facts of every module without a second read of
any file. Rules ask "what does this call really name?" through
`qualified_name`, so `from fastapi import APIRouter as R; R()` and
`import fastapi; fastapi.APIRouter()` are the same thing to them.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from analyzer.core.model import SourceFile
from analyzer.core.roles import is_app_path, is_test_path
from analyzer.parsers import ParseError
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.newer_python import NotNewerPython, parse_newer


@dataclass(frozen=True)
class PyModule:
    path: str
    module: str  # dotted name guessed from the path: app/api/routes.py -> app.api.routes
    tree: ast.Module = field(repr=False)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    text: str = field(default="", repr=False)  # the source: comments are not in the tree

    def qualified_name(self, node: ast.AST) -> str | None:
        return qualified_name(node, self.imports)

    @functools.cached_property
    def nodes(self) -> nodes.TreeIndex:
        """Every node of the tree by type and parent, from one walk, for every rule to share."""
        return nodes.TreeIndex(self.tree)

    @functools.cached_property
    def is_test(self) -> bool:
        return is_test_path(self.path)

    @functools.cached_property
    def is_app_code(self) -> bool:
        """Code the deployed service runs: by its path, and not a script or a migration."""
        return is_app_path(self.path) and not self.is_script and not self.is_migration

    @functools.cached_property
    def is_script(self) -> bool:
        """Run by hand (`python seed.py`): a `__main__` block, and nothing that builds or
        serves an application, wherever the file lives (`signup_user.py` at the root)."""
        body = self.tree.body
        guarded = any(isinstance(s, ast.If) and _is_main_guard(s.test) for s in body)
        if not guarded and not any(_does_work(s) for s in body):
            return False
        return not any(q.split(".")[0] in SERVICE_MODULES for q in self.imports.values())

    @functools.cached_property
    def is_migration(self) -> bool:
        """An Alembic revision (`revision = ...` and `down_revision = ...` at the top level),
        whatever folder the project keeps them in."""
        names = {
            t.id
            for s in self.tree.body
            if isinstance(s, (ast.Assign, ast.AnnAssign))
            for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
            if isinstance(t, ast.Name)
        }
        return {"revision", "down_revision"} <= names


# Modules whose import makes a `__main__` block an entry point of the service, not a script.
SERVICE_MODULES = frozenset(
    {"fastapi", "starlette", "flask", "django", "celery", "rq", "dramatiq", "arq", "uvicorn",
     "gunicorn", "hypercorn", "granian", "aiohttp", "litestar", "sanic", "quart", "grpc",
     "tornado", "twisted", "socketserver", "websockets", "pipecat", "livekit", "kafka",
     "aiokafka", "pika", "aio_pika", "faust", "schedule", "apscheduler"}
)  # fmt: skip


def _does_work(stmt: ast.stmt) -> bool:
    """A top-level statement that runs a task on import (`print(...)`, a loop, an `await`):
    a module written to be run once, like `signup_user.py`, not one meant to be imported."""
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        return True
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Await):
            return True
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("print", "input")
        )
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def module_name(path: str) -> str:
    p = PurePosixPath(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if parts and parts[0] in ("src", "lib"):
        parts.pop(0)
    return ".".join(parts)


def parse(src: SourceFile) -> PyModule:
    try:
        tree = ast.parse(src.text, filename=src.path)
    except SyntaxError as exc:
        tree = _newer(src, exc)
    except ValueError as exc:  # e.g. source code string cannot contain null bytes
        raise ParseError(f"invalid Python: {exc}") from None
    name = module_name(src.path)
    is_package = PurePosixPath(src.path).name == "__init__.py"
    ix = nodes.TreeIndex(tree)
    mod = PyModule(src.path, name, tree, collect_imports(ix, name, is_package), src.text)
    vars(mod)["nodes"] = ix  # the index the imports were read from: built once per tree
    return mod


def _newer(src: SourceFile, exc: SyntaxError) -> ast.Module:
    """The tree of a module written for a newer Python, or the syntax error it really has."""
    try:
        tree, _ = parse_newer(src.text, src.path)
    except NotNewerPython:
        raise ParseError(f"invalid Python: {exc.msg}", exc.lineno) from None
    return tree


def collect_imports(ix: nodes.TreeIndex, module: str, is_package: bool = False) -> dict[str, str]:
    """Every import in the file (nested ones too), relative imports made absolute."""
    out: dict[str, str] = {}
    package = module if is_package else module.rpartition(".")[0]
    for node in nodes.in_walk_order(ix, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if alias.name == "*":
                    continue
                out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return out


def qualified_name(node: ast.AST, imports: dict[str, str]) -> str | None:
    """`R.get` -> `fastapi.APIRouter.get` when `R` was imported as that; None for non-names.

    Names that were not imported resolve to themselves (`print`, a local
    variable), so callers compare against fully qualified names of imported
    APIs and plain names of builtins.
    """
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):  # `httpx.Client().get` -> `httpx.Client().get`
        inner = qualified_name(node.func, imports)
        if inner is None:
            return None
        return ".".join([inner + "()", *reversed(attrs)])
    if not isinstance(node, ast.Name):
        return None
    base = imports.get(node.id, node.id)
    return ".".join([base, *reversed(attrs)])
