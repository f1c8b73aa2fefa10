"""Celery tasks that call an external service without retries (PY003).

Judged in the repository pass: the external call usually sits in a helper
module the task imports, so the task's callees are matched against every
module's outbound functions (analyzer.facts.outbound).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.calls import last_name
from analyzer.facts.outbound import CeleryTask
from analyzer.facts.summary import PySummary


@repo_check("PY003")
def celery_tasks_without_retry(results: Sequence[FileResult]) -> Iterator[Finding]:
    summaries = [r.facts for r in results if isinstance(r.facts, PySummary)]
    external = {k: v for m in summaries for k, v in m.outbound.items()}
    for mod in summaries:
        if not mod.is_app_code:
            continue
        for task in mod.tasks:
            reached = _first_external(task, external) or task.direct
            if reached is None:
                continue
            yield Finding(
                "PY003",
                mod.path,
                f"Celery task `{task.name}` calls an external service ({reached}) without "
                "`autoretry_for=` and `retry_backoff=`, nor `self.retry(countdown=...)` with backoff.",
                line=task.line,
                column=task.column,
                anchor=f"celery-no-retry:{task.name}",
            )


def _first_external(task: CeleryTask, external: dict[str, str]) -> str | None:
    for name, local in task.callees:
        for key in (name, local):
            if key in external:
                return f"`{last_name(key)}` -> `{external[key]}`"
    return None
