import hmac

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from twilio.request_validator import RequestValidator

from app.settings import settings

bearer = HTTPBearer()


def require_api_token(
    credentials: HTTPAuthorizationCredentials = Depends(bearer),
) -> None:
    expected = settings.api_token.get_secret_value()
    if not hmac.compare_digest(credentials.credentials, expected):
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)


async def require_twilio_signature(request: Request) -> None:
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    form = await request.form()
    url = f"{settings.public_base_url}{request.url.path}"
    if request.url.query:
        url = f"{url}?{request.url.query}"
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(url, dict(form), signature):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN)
