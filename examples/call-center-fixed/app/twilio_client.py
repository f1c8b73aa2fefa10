from functools import lru_cache

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.settings import settings


@lru_cache(maxsize=1)
def get_twilio() -> Client:
    http_client = TwilioHttpClient(timeout=10)
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client,
    )


def place_call(to: str, call_id: str) -> str:
    call = get_twilio().calls.create(
        to=to,
        from_=settings.twilio_from_number,
        url=f"{settings.public_base_url}/webhooks/twilio/voice?call_id={call_id}",
        status_callback=f"{settings.public_base_url}/webhooks/twilio/status",
    )
    return call.sid
