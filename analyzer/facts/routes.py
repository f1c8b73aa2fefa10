"""The repository's routes as the FastAPI rules and the app/proxy view judge them.

The app model is built once per scan (a shared view of the repository), and the questions
several rules ask of a route are answered here once: whether it authenticates, and which
routes need a rate limit the app does not give them (API013 reports them, and the proxy in
front of the app is silent about limits only when the app has none to report).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.core.model import FileResult
from analyzer.facts.fastapi.app import AppModel, FullRoute
from analyzer.facts.repo import shared
from analyzer.facts.summary import PySummary

# Routes an attacker brute-forces or that cost money per call.
_SENSITIVE_PATH = re.compile(
    r"(?:^|/)(?:login|signin|sign-in|token|otp|verify[\w-]*|password[\w-]*|reset[\w-]*|"
    r"signup|sign-up|register|magic-link)(?:/|$)",
    re.I,
)

_COSTLY_PATH = re.compile(r"(?:^|/)(?:calls?|dial|sms|send-sms|messages?)/?$", re.I)


@shared
def app_model(results: Sequence[FileResult]) -> AppModel:
    """The app model of the repository's Python modules, built once per scan."""
    return AppModel.build(r.facts.api for r in results if isinstance(r.facts, PySummary))


def authenticated(model: AppModel, fr: FullRoute) -> bool:
    """Whether any check FastAPI runs for the route is known to authenticate the caller."""
    return auth_state(model, fr) is True


def unauthenticated(model: AppModel, fr: FullRoute) -> bool:
    """Whether the route is known to run no check of the caller: every dependency on it was
    resolved and none authenticates. A route with one dependency that cannot be told is
    neither."""
    return auth_state(model, fr) is False


def auth_state(model: AppModel, fr: FullRoute) -> bool | None:
    if fr.middleware_auth or fr.route.auth_evidence or fr.route.signature_evidence:
        return True
    verdicts = [model.auth_verdict(d, fr.module.path) for d in fr.deps]
    if True in verdicts:
        return True
    return None if None in verdicts else False


def served_routes(model: AppModel) -> list[FullRoute]:
    """Routes of application code: tests and scripts declare routes nobody deploys."""
    return [fr for fr in model.routes if fr.module.app_code]


def rate_limit_gaps(model: AppModel) -> list[FullRoute]:
    """POST routes that need a rate limit and get none from the app itself."""
    if "ratelimit-app" in model.app_libs():
        return []
    return [
        fr
        for fr in served_routes(model)
        if "POST" in fr.route.methods
        and _needs_rate_limit(model, fr)
        and not fr.route.rate_limited
        and not any(model.dep_has(d, fr.module.path, "ratelimit") for d in fr.deps)
    ]


def _needs_rate_limit(model: AppModel, fr: FullRoute) -> bool:
    """Call-placing routes always; credential routes only while they are open to anyone."""
    path = fr.loose_path
    if _COSTLY_PATH.search(path):
        return True
    # a credential route is open by nature (login, reset): only a known caller check exempts it
    return bool(_SENSITIVE_PATH.search(path)) and not authenticated(model, fr)
