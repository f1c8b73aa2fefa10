"""Agent console sessions: short-lived access tokens in a locked-down cookie."""

from datetime import datetime, timedelta, timezone

import jwt
from fastapi import Response

from app.settings import settings

ACCESS_TOKEN_EXPIRE_MINUTES = 15


def issue_token(agent_id: str) -> str:
    now = datetime.now(timezone.utc)
    claims = {"sub": agent_id, "role": "agent", "iat": now}
    claims["exp"] = now + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    return jwt.encode(claims, settings.session_signing_key.get_secret_value(), algorithm="HS256")


def agent_id(token: str) -> str:
    claims = jwt.decode(
        token, settings.session_signing_key.get_secret_value(), algorithms=["HS256"]
    )
    return str(claims["sub"])


def start_session(response: Response, agent: str) -> None:
    response.set_cookie(
        "session",
        issue_token(agent),
        max_age=ACCESS_TOKEN_EXPIRE_MINUTES * 60,
        httponly=True,
        secure=True,
        samesite="strict",
    )
