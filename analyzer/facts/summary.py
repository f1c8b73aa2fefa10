"""What the repository rules and the checklist evidence need of one Python module, without its tree.

A module's syntax tree is about fifty times the size of its source once
unpickled, and walking it is the dominant cost of a scan. The file rules read
the tree in the process that parsed it; everything that looks across modules
(the FastAPI application model, required environment variables, Celery tasks,
logging set-up, Alembic history, checklist evidence) reads this summary
instead. It is what a worker sends back, what the result cache keeps and what
a pre-commit run reads for the files that did not change, so a re-scan never
unpickles a tree.

Every field is plain data computed by the facts module of its subject (settings and
environment, datastores, Python code, SQL history, the FastAPI model); this module
only gathers them, once per module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analyzer.facts import datastores, logsetup, outbound, pycode, settings
from analyzer.facts.alembic import Alembic, alembic_facts
from analyzer.facts.datastores import UrlLiteral
from analyzer.facts.outbound import CeleryTask
from analyzer.facts.settings import ClassInfo
from analyzer.parsers.python import PyModule

if TYPE_CHECKING:
    from analyzer.core.model import Evidence
    from analyzer.facts.fastapi.records import ModuleFacts
    from analyzer.facts.settings import EnvNeed


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


def summarize(mod: PyModule, evidence: tuple[Evidence, ...], api: ModuleFacts) -> PySummary:
    """Everything cross-module rules read of `mod`, computed while its tree is at hand.

    `evidence` is what the checklist detectors found in the module itself (detectors sit
    above facts), and `api` its FastAPI facts, which the file rules read too: the pipeline
    computes both once and hands them over.
    """
    app = mod.is_app_code
    return PySummary(
        path=mod.path,
        module=mod.module,
        imports=api.reexports,  # the same mapping: pickled (sent, cached) once
        api=api,
        is_test=mod.is_test,
        is_app_code=app,
        env_needs=tuple(settings.module_needs(mod)) if app else (),
        classes=settings.class_infos(mod),
        instantiated=settings.instantiated(mod) if app else {},
        url_kinds=datastores.url_kinds(mod) if app else (),
        urls=datastores.url_literals(mod) if app else (),
        outbound=outbound.outbound_functions(mod),
        tasks=outbound.tasks_without_retry(mod) if not mod.is_test else (),
        structured_logging=logsetup.structured_logging(mod),
        configures_logging=app and logsetup.configures_logging(mod),
        builds_service=app and logsetup.builds_service(mod),
        alembic=alembic_facts(mod),
        evidence=evidence,
        database_import=pycode.database_import(mod),
        body_models=pycode.body_annotations(mod) if app else (),
        docstrings=pycode.docstring_counts(mod) if app else (0, 0),
    )
