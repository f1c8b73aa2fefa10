"""Where a debug flag can be read from: the settings object a module already has.

`FastAPI(debug=True)` becomes `debug=settings.debug` only when that expression
is sure to work: `settings` is bound at module level before the call (defined
there as `settings = Settings()`, or imported from a module of the repository
that defines it), and its class is a pydantic `BaseSettings` declaring a `bool`
field of that name that defaults to false (or has no default). Anything less
certain (a factory function, a dict, a field of another type, a default of
true) keeps the plain `False`: a fix never guesses a name that may not exist,
and never "fixes" a flag into a setting that is still on by default.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from analyzer.parsers.pynodes import TreeIndex
from analyzer.parsers.python import collect_imports, module_name, qualified_name

# the fields a flag may be read from, in order of preference
FIELDS: dict[str, tuple[str, ...]] = {"debug": ("debug",), "reload": ("reload", "debug")}
_MAX_HOPS = 3  # settings classes re-exported or subclassed across modules


@dataclass(frozen=True)
class _Module:
    tree: ast.Module
    imports: dict[str, str]


class SettingsIndex:
    """Resolves names to settings objects for one fixed file, reading repository modules lazily."""

    def __init__(self, text: str, path: str, root: Path | None) -> None:
        self.path = path
        self.root = root.resolve() if root is not None else None
        self._cache: dict[str, _Module | None] = {}
        self.own = _load(text, path)

    def expression(self, flag: str, line: int) -> str | None:
        """`settings.debug` when a settings object bound before `line` declares the field."""
        if self.own is None:
            return None
        fields_by_name = self._bound_before(line)
        for wanted in FIELDS.get(flag, ()):
            for name in sorted(fields_by_name, key=lambda n: (n != "settings", n)):
                field = next((f for f in fields_by_name[name] if f.lower() == wanted), None)
                if field is not None:
                    return f"{name}.{field}"
        return None

    # ------------------------------------------------------------------ this module

    def _bound_before(self, line: int) -> dict[str, frozenset[str]]:
        """Top-level names bound to settings objects before `line`, with their safe fields."""
        assert self.own is not None
        out: dict[str, frozenset[str]] = {}
        for stmt in self.own.tree.body:
            if stmt.lineno >= line:
                break
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    local = alias.asname or alias.name
                    q = self.own.imports.get(local)
                    if q and "." in q:
                        where, _, attr = q.rpartition(".")
                        fields = self._object_fields(self._module(where), attr, _MAX_HOPS)
                        if fields:
                            out[local] = fields
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                for name in _targets(stmt):
                    out.pop(name, None)  # rebound: whatever it was, it is not known now
                    fields = self._instance_fields(self.own, stmt.value, _MAX_HOPS)
                    if fields:
                        out[name] = fields
        return out

    # ------------------------------------------------------------------ resolution

    def _object_fields(self, mod: _Module | None, name: str, hops: int) -> frozenset[str]:
        """Fields of the settings object `name` defined (or re-exported) at module level."""
        if mod is None or hops <= 0:
            return frozenset()
        found: frozenset[str] = frozenset()
        for stmt in mod.tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and name in _targets(stmt):
                found = self._instance_fields(mod, stmt.value, hops)
        if not found and name in mod.imports:
            where, _, attr = mod.imports[name].rpartition(".")
            found = self._object_fields(self._module(where), attr, hops - 1)
        return found

    def _instance_fields(self, mod: _Module, value: ast.expr | None, hops: int) -> frozenset[str]:
        """Safe fields of `Cls()` when `Cls` is a settings class."""
        if not isinstance(value, ast.Call) or not isinstance(value.func, (ast.Name, ast.Attribute)):
            return frozenset()
        return self._class_fields(mod, value.func, hops)

    def _class_fields(self, mod: _Module, ref: ast.expr, hops: int) -> frozenset[str]:
        if hops <= 0:
            return frozenset()
        if isinstance(ref, ast.Name):
            cls = next(
                (s for s in mod.tree.body if isinstance(s, ast.ClassDef) and s.name == ref.id),
                None,
            )
            if cls is not None:
                return self._settings_class(mod, cls, hops)
        q = qualified_name(ref, mod.imports)
        if not q or "." not in q:
            return frozenset()
        where, _, attr = q.rpartition(".")
        other = self._module(where)
        if other is None:
            return frozenset()
        return self._class_fields(other, ast.Name(attr), hops - 1)

    def _settings_class(self, mod: _Module, cls: ast.ClassDef, hops: int) -> frozenset[str]:
        """The safe bool fields of a BaseSettings subclass; empty when it is not one."""
        inherited: set[str] = set()
        is_settings = False
        for base in cls.bases:
            q = qualified_name(base, mod.imports) or ""
            if q.endswith("BaseSettings") and q.split(".")[0] in ("pydantic", "pydantic_settings"):
                is_settings = True
                continue
            fields = self._class_fields(mod, base, hops - 1)
            if fields:  # a settings class always carries the "" mark
                is_settings = True
                inherited |= fields
        if not is_settings:
            return frozenset()
        own = set(inherited)
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                name = stmt.target.id
                own.discard(name)
                if _is_bool(stmt.annotation) and _off_by_default(stmt.value):
                    own.add(name)
            elif isinstance(stmt, ast.Assign):
                for name in _targets(stmt):
                    own.discard(name)
        # a settings class without any safe field still is one: mark it with an empty name
        return frozenset(own | {""})

    def _module(self, dotted: str) -> _Module | None:
        if dotted not in self._cache:
            self._cache[dotted] = self._find(dotted)
        return self._cache[dotted]

    def _find(self, dotted: str) -> _Module | None:
        """A repository module by import name, looked up from every folder above the file."""
        if self.root is None or not dotted:
            return None
        rel = PurePosixPath(*dotted.split("."))
        bases: list[Path] = []
        folder = (self.root / self.path).parent
        while True:
            bases.append(folder)
            if folder == self.root or self.root not in folder.parents:
                break
            folder = folder.parent
        bases += [self.root / "src", self.root / "lib"]
        for base in bases:
            for candidate in (base / f"{rel}.py", base / rel / "__init__.py"):
                if candidate.is_file():
                    try:
                        text = candidate.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        return None
                    return _load(text, candidate.relative_to(self.root).as_posix())
        return None


def _load(text: str, path: str) -> _Module | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    name = module_name(path)
    return _Module(
        tree, collect_imports(TreeIndex(tree), name, PurePosixPath(path).name == "__init__.py")
    )


def _targets(stmt: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _is_bool(annotation: ast.expr) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id == "bool"


def _off_by_default(value: ast.expr | None) -> bool:
    """No default (the environment must say), or `False`, or `Field(False)`/`Field(default=False)`."""
    if value is None:
        return True
    if isinstance(value, ast.Constant):
        return value.value is False
    if isinstance(value, ast.Call):
        given = [*value.args[:1], *(k.value for k in value.keywords if k.arg == "default")]
        return bool(given) and all(isinstance(v, ast.Constant) and v.value is False for v in given)
    return False
