from functools import lru_cache

import pybreaker
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.util.retry import Retry

from app.settings import settings

# After 5 failures in a row Twilio is presumed down: calls fail fast for 60 s (the Celery task
# retries later) instead of every worker waiting on timeouts against an outage.
twilio_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60, name="twilio")


@lru_cache(maxsize=1)
def get_twilio() -> Client:
    """Timeouts on every request; connection errors retried with backoff (a POST is not re-sent
    after Twilio received it: urllib3 retries only what is safe). Failed calls are retried by
    the Celery task with exponential backoff."""
    http_client = TwilioHttpClient(
        timeout=10, max_retries=Retry(total=3, connect=3, read=0, backoff_factor=0.5)
    )
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client,
    )


@twilio_breaker
def place_call(to: str, call_id: str) -> str:
    call = get_twilio().calls.create(
        to=to,
        from_=settings.twilio_from_number,
        url=f"{settings.public_base_url}/webhooks/twilio/voice?call_id={call_id}",
        status_callback=f"{settings.public_base_url}/webhooks/twilio/status",
    )
    return call.sid
