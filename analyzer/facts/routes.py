"""The application model of the repository, and which of its call-placing or credential
routes get no rate limit from the app itself.

The edge view (facts/edges.py) and API013 both need the second answer, so it is computed
once here, from the same model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.core.model import FileResult
from analyzer.facts.fastapi import (
    AppModel,
    FullRoute,
)
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
    return AppModel.build(r.facts.api for r in results if isinstance(r.facts, PySummary))


def _authenticated(model: AppModel, fr: FullRoute) -> bool:
    if fr.middleware_auth or fr.route.auth_evidence or fr.route.signature_evidence:
        return True
    return any(model.is_auth(d, fr.module.path) for d in fr.deps)


def _served_routes(model: AppModel) -> list[FullRoute]:
    return [fr for fr in model.routes if fr.module.app_code]


def rate_limit_gaps(model: AppModel) -> list[FullRoute]:
    """POST routes that need a rate limit and get none from the app itself."""
    if "ratelimit-app" in model.app_libs():
        return []
    return [
        fr
        for fr in _served_routes(model)
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
    return bool(_SENSITIVE_PATH.search(path)) and not _authenticated(model, fr)
