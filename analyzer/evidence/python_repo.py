"""Evidence only the whole set of Python modules shows: a database in use, validated bodies, docstrings.

These detectors read every module's summary at once (a route's body model is
often defined in another module; a share of documented functions needs all
of them), after extraction; what one module shows by itself is computed
while its tree is at hand (analyzer.evidence.python_code).
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.core.model import SCOPE, Evidence
from analyzer.evidence.core import detector
from analyzer.facts.calls import last_name
from analyzer.facts.repo import RepoView


@detector()
def database_scope(repo: RepoView) -> Iterator[Evidence]:
    for mod in repo.all_python:
        if mod.database_import is not None:
            name, line = mod.database_import
            yield Evidence(SCOPE + "database", f"`{name}`", mod.path, line)
            return


def _models(repo: RepoView) -> set[str]:
    """Class names of Pydantic models (and models of models) defined in the service."""
    out: set[str] = set()
    classes = [c for mod in repo.all_python for c in mod.classes]
    for _ in range(3):  # models derived from models, a few levels deep
        for cls in classes:
            for qn in cls.bases:
                if qn in ("pydantic.BaseModel", "sqlmodel.SQLModel") or last_name(qn) in out:
                    out.add(cls.name)
    return out


@detector("ATTACK-3")
def validated_bodies(repo: RepoView) -> Iterator[Evidence]:
    """A route body typed by a model defined in another module: needs every module's classes."""
    models = _models(repo)
    for mod in repo.python:
        for where, name, line in mod.body_models:
            if name in models:
                yield Evidence(
                    "ATTACK-3",
                    f"{where} validates its body with Pydantic model `{name}`",
                    mod.path,
                    line,
                )


@detector("DOCTECH-3")
def docstrings(repo: RepoView) -> Iterator[Evidence]:
    public = sum(m.docstrings[0] for m in repo.python)
    documented = sum(m.docstrings[1] for m in repo.python)
    if public >= 5 and documented * 2 >= public:
        yield Evidence(
            "DOCTECH-3",
            f"docstrings on {documented} of {public} public functions and classes",
            repo.python[0].path,
        )
