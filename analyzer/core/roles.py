"""What part a file plays in the repository, decided once from its path, for every layer.

A rule that judges production code must not judge a test, a script or a template
the same way; each of those questions is answered here, so every rule, fact and
detector gets the same answer for the same path.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|testing|__tests__|fixtures?)/|(?:^|/)(?:test_[^/]*|[^/]*_test|conftest)\.py$"
)
_NOT_APP_PATH = re.compile(
    r"(?:^|/)(?:scripts?|tools|bin|docs?|examples?|migrations|alembic|benchmarks?|bench|hack|"
    r"\.devcontainer|dev|devtools|load_?tests?|locust|perf|evals?|samples?|demos?|playgrounds?|"
    r"notebooks?|seeds?|seeders?)/"
    r"|(?:^|/)(?:setup|noxfile|fabfile|manage)\.py$"
)
_TEMPLATE_ENV = re.compile(r"\.(example|sample|template|tmpl|dist|defaults?)$", re.IGNORECASE)


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


def is_app_path(path: str) -> bool:
    """Code that runs in the deployed service: not tests, scripts, migrations or tooling."""
    return not is_test_path(path) and not _NOT_APP_PATH.search(path)


def is_template_env(rel: str) -> bool:
    """`.env.example` and friends document variables; they are not deployed."""
    return bool(_TEMPLATE_ENV.search(PurePosixPath(rel).name))


# A configuration for development, tests or CI by its name (`docker-compose.dev.yml`,
# `Dockerfile.test`, `compose.local.yaml`) or
# its folder (`.devcontainer/`, `dev/`, `tests/`, `e2e/`): not what production runs.
_DEV_NAME_PART = re.compile(
    r"(?:^|[./_-])(?:dev|develop|development|local|debug|test|tests|testing|ci|e2e|mock|"
    r"profiling)(?:$|[./_-])"
)
_DEV_FOLDER = re.compile(
    r"(?:^|/)(?:\.devcontainer|dev|devtools|tests?|e2e|hack|local|ci|load_?tests?|benchmarks?)/"
)


def is_dev_config(path: str) -> bool:
    lower = path.lower()
    return bool(_DEV_FOLDER.search(lower) or _DEV_NAME_PART.search(PurePosixPath(lower).name))
