"""What part a file plays in the repository, decided once from its path, for every layer.

A rule that judges production code must not judge a test, a script or a template
the same way; each of those questions is answered here, so every rule, fact and
detector gets the same answer for the same path.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import PurePosixPath

_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|testing|__tests__|fixtures?)/|(?:^|/)(?:test_[^/]*|[^/]*_test|conftest|tests?)\.py$"
)
_NOT_APP_PATH = re.compile(
    r"(?:^|/)(?:scripts?|tools|bin|docs?|examples?|migrations|alembic|benchmarks?|bench|hack|"
    r"\.devcontainer|dev|devtools|load_?tests?|locust|perf|evals?|samples?|demos?|playgrounds?|"
    r"notebooks?|seeds?|seeders?|generators?)/"
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


class Role(str, Enum):
    """What a file is for. Only `app` files are what production runs.

    `script` (operator and release tooling under `scripts/`, `tools/`, `bin/`) is
    production-adjacent: its Dockerfiles and manifests may still be deployed, so the
    infrastructure rules judge it; the Python rules do not (see `is_app_path`).
    """

    APP = "app"
    SCRIPT = "script"
    TEST = "test"
    DEV = "dev"
    DOCS = "docs"
    EXAMPLE = "example"
    ARCHIVE = "archive"
    VENDORED = "vendored"


# Not what this repository deploys: findings of production rules there are noise.
NOT_PRODUCTION = frozenset(
    {Role.TEST, Role.DEV, Role.DOCS, Role.EXAMPLE, Role.ARCHIVE, Role.VENDORED}
)

_VENDORED = re.compile(
    r"(?:^|/)(?:vendor|vendors|third_party|third-party|node_modules|bower_components|wwwroot/lib)/"
)
# A folder named for a release (`install/v0.6.0/`, `releases/1.2.3-rc0/`) holds a frozen
# snapshot of a past version; the current manifests live elsewhere.
_VERSION_FOLDER = re.compile(
    r"(?:^|/)v?\d+\.\d+(?:\.\d+){0,2}(?:[-.+_]?(?:rc|alpha|beta|pre|dev|post)\.?\d*)?/",
    re.IGNORECASE,
)
_TEST_FILES = re.compile(
    r"(?:^|/)(?:tests?|testing|__tests__|spec|specs|e2e|cypress|playwright|fixtures?|testdata|"
    r"test[-_][^/]*|[^/]*[-_]tests?)/"
    r"|(?:^|/)(?:test_[^/]*|[^/]*_test|conftest|tests?)\.py$|_test\.go$|\.(?:spec|test)\.[cm]?[jt]sx?$",
    re.IGNORECASE,
)
_DOCS = re.compile(r"(?:^|/)(?:docs?|documentation|handbook)/|\.(?:md|mdx|rst)$", re.I)
_EXAMPLES = re.compile(
    r"(?:^|/)(?:examples?|samples?|demos?|playgrounds?|quickstarts?|tutorials?|cookbooks?|"
    r"notebooks?)/",
    re.IGNORECASE,
)
# Source code is named for what it does (`local_cache.py`), not for where it runs: only
# configuration files are development ones by their names.
_CODE_FILE = re.compile(r"\.(?:py|pyi|[cm]?[jt]sx?|go|rs|java|kt|rb|php|sql)$", re.IGNORECASE)
_SCRIPTS = re.compile(r"(?:^|/)(?:scripts?|tools|bin)/")


def role_of(path: str) -> Role:
    """The one classification every rule and detector uses; the first match wins.

    Vendored and archived copies come first (a vendored package's tests are still
    someone else's code), then tests, examples and docs, then development tooling.
    """
    if _VENDORED.search(path):
        return Role.VENDORED
    if _VERSION_FOLDER.search(path):
        return Role.ARCHIVE
    if _TEST_FILES.search(path):
        return Role.TEST
    if _EXAMPLES.search(path):
        return Role.EXAMPLE
    if _DOCS.search(path):
        return Role.DOCS
    if _DEV_FOLDER.search(path.lower()) or (
        not _CODE_FILE.search(path)
        and not path.startswith(".github/")  # CI is its own part, with its own rules
        # `.env.local` is read by production builds too (Vite, Next.js load it in every mode)
        and not PurePosixPath(path).name.lower().startswith(".env")
        and _DEV_NAME_PART.search(PurePosixPath(path.lower()).name)
    ):
        return Role.DEV  # `.devcontainer/`, `docker-compose.multitenant-dev.yml`
    if _SCRIPTS.search(path):
        return Role.SCRIPT
    return Role.APP


def is_production(path: str) -> bool:
    """Deployed or deployable: an app file or an operator script, nothing else."""
    return role_of(path) not in NOT_PRODUCTION
