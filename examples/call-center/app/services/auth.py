"""Agent console sessions."""

import jwt
from fastapi import Response

from app.settings import settings

ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 7  # agents complained about logging in every morning


def issue_token(agent_id: str) -> str:
    return jwt.encode({"sub": agent_id, "role": "agent"}, settings.twilio_auth_token)


def agent_id(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    return str(claims["sub"])


def start_session(response: Response, agent: str) -> None:
    response.set_cookie("session", issue_token(agent))
