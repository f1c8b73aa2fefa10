"""How a module sets up logging, and whether it builds a service: PY008's facts.

PY008 is judged over the whole repository (structured logging configured
anywhere counts for every service), so each module's summary keeps these
three answers instead of its tree.
"""

from __future__ import annotations

import ast

from analyzer.facts.calls import is_const, kwarg
from analyzer.parsers import pynodes as nodes
from analyzer.parsers.python import PyModule

_JSON_LOG_MODULES = (
    "structlog",
    "pythonjsonlogger",
    "json_log_formatter",
    "ecs_logging",
    "logstash_formatter",
    "google.cloud.logging",
    "jsonlogger",
)

_SERVICE_FACTORIES = frozenset(
    {
        "fastapi.FastAPI",
        "starlette.applications.Starlette",
        "celery.Celery",
        "flask.Flask",
        "litestar.Litestar",
    }
)


def structured_logging(mod: PyModule) -> bool:
    if any(q.startswith(_JSON_LOG_MODULES) for q in mod.imports.values()):
        return True
    # one shared index of the tree, not a walk per question: this runs on every module
    for name, call in nodes.calls(mod.nodes, mod.qualified_name):
        if name.startswith("loguru.logger.add") and is_const(kwarg(call, "serialize"), True):
            return True
        if name == "logging.config.dictConfig" and any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) and "json" in n.value.lower()
            for n in ast.walk(call)
        ):
            return True
    for node in nodes.of_type(mod.nodes, ast.ClassDef):
        if (
            isinstance(node, ast.ClassDef)
            and any((mod.qualified_name(b) or "").endswith("Formatter") for b in node.bases)
            and any(
                isinstance(n, ast.Call) and (mod.qualified_name(n.func) or "") == "json.dumps"
                for n in ast.walk(node)
            )
        ):
            return True
    return False


def builds_service(mod: PyModule) -> bool:
    """Builds an app at module level or in a factory function (`get_application()`)."""
    return any(name in _SERVICE_FACTORIES for name, _ in nodes.calls(mod.nodes, mod.qualified_name))


def configures_logging(mod: PyModule) -> bool:
    return any(
        name in ("logging.basicConfig", "logging.config.dictConfig")
        for name, _ in nodes.calls(mod.nodes, mod.qualified_name)
    )
