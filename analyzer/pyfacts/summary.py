"""What the repository rules and the checklist evidence need of one Python module, without its tree.

A module's syntax tree is about fifty times the size of its source once
unpickled, and walking it is the dominant cost of a scan. The file rules read
the tree in the process that parsed it; everything that looks across modules
(the FastAPI application model, required environment variables, Celery tasks,
logging set-up, Alembic history, checklist evidence) reads this summary
instead. It is what a worker sends back, what the result cache keeps and what
a pre-commit run reads for the files that did not change, so a re-scan never
unpickles a tree.

Every field is plain data computed by the module that owns the rule that reads
it (`analyzer.checks.judge`, `analyzer.checks.python_code`, `analyzer.checks.sql`,
`analyzer.evidence.python_code`); the records live here so that none of those
modules imports another to read a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzer.parsers.python import PyModule

if TYPE_CHECKING:
    from analyzer.checks.judge import EnvNeed
    from analyzer.evidence.core import Evidence
    from analyzer.parsers.sql import Op
    from analyzer.pyfacts.fastapi import ModuleFacts


@dataclass(frozen=True)
class SettingsField:
    """A class attribute that may be a required settings field (its own syntax allows it)."""

    name: str
    line: int
    column: int
    alias: str | None  # `Field(alias="X")`: the variable read instead of the field's name


@dataclass(frozen=True)
class ClassInfo:
    """A class with base classes: settings classes and Pydantic models are found among these."""

    name: str
    line: int
    bases: tuple[str, ...]  # qualified names as imported
    config: dict[str, Any]  # `model_config = SettingsConfigDict(...)` / `class Config:` values
    fields: tuple[SettingsField, ...]


@dataclass(frozen=True)
class UrlLiteral:
    """A datastore URL written in the code, and whether its call passes credentials beside it."""

    value: str
    line: int
    column: int
    credentials_beside: bool


@dataclass(frozen=True)
class CeleryTask:
    """A task without retries: what it calls, in order, up to the first outbound call."""

    name: str
    line: int
    column: int
    direct: str | None  # the outbound call made in the task itself, as the message names it
    callees: tuple[tuple[str, str], ...]  # (qualified name, module-local name) of calls before


@dataclass(frozen=True)
class Alembic:
    revision: str | None
    down: tuple[str, ...]
    ops: tuple[Op, ...]


@dataclass(frozen=True)
class PySummary:
    path: str
    module: str
    imports: dict[str, str]
    api: ModuleFacts
    is_test: bool  # fields, not properties: every repository rule asks, for every module
    is_app_code: bool
    env_needs: tuple[EnvNeed, ...] = ()
    classes: tuple[ClassInfo, ...] = ()
    instantiated: dict[str, tuple[str, ...]] = field(default_factory=dict)
    url_kinds: tuple[str, ...] = ()  # datastores named by URL literals, first seen first
    urls: tuple[UrlLiteral, ...] = ()
    outbound: dict[str, str] = field(default_factory=dict)  # `module.function` -> its call
    tasks: tuple[CeleryTask, ...] = ()
    structured_logging: bool = False
    configures_logging: bool = False
    builds_service: bool = False  # calls FastAPI()/Celery()/... (a service entry point)
    alembic: Alembic | None = None
    evidence: tuple[Evidence, ...] = ()
    database_import: tuple[str, int] | None = None  # (module, line) of a database driver import
    body_models: tuple[tuple[str, str, int], ...] = ()  # (route, annotation, line) of POST/PUT
    docstrings: tuple[int, int] = (0, 0)  # (public functions and classes, documented ones)


def summarize(mod: PyModule) -> PySummary:
    """Everything cross-module rules read of `mod`, computed while its tree is at hand."""
    from analyzer.checks import judge, python_code, sql
    from analyzer.evidence import python_code as evidence
    from analyzer.pyfacts.fastapi import module_facts

    app = mod.is_app_code
    api = module_facts(mod)
    return PySummary(
        path=mod.path,
        module=mod.module,
        imports=api.reexports,  # the same mapping: pickled (sent, cached) once
        api=api,
        is_test=mod.is_test,
        is_app_code=app,
        env_needs=tuple(judge.module_needs(mod)) if app else (),
        classes=judge.class_infos(mod),
        instantiated=judge.instantiated(mod) if app else {},
        url_kinds=judge.url_kinds(mod) if app else (),
        urls=judge.url_literals(mod) if app else (),
        outbound=python_code.outbound_functions(mod),
        tasks=python_code.tasks_without_retry(mod) if not mod.is_test else (),
        structured_logging=python_code.structured_logging(mod),
        configures_logging=app and python_code.configures_logging(mod),
        builds_service=app and python_code.builds_service(mod),
        alembic=sql.alembic_facts(mod),
        evidence=evidence.module_evidence(mod),
        database_import=evidence.database_import(mod),
        body_models=evidence.body_annotations(mod) if app else (),
        docstrings=evidence.docstring_counts(mod) if app else (0, 0),
    )
