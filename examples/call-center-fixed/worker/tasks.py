import logging

from pybreaker import CircuitBreakerError
from twilio.base.exceptions import TwilioRestException

from app.supabase_client import get_supabase
from app.twilio_client import place_call
from worker.celery_app import celery

logger = logging.getLogger(__name__)


@celery.task(
    autoretry_for=(TwilioRestException, ConnectionError, CircuitBreakerError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def place_outbound_call(call_id: str, to: str) -> None:
    sid = place_call(to, call_id)
    get_supabase().table("calls").update({"twilio_sid": sid, "status": "dialing"}).eq(
        "id", call_id
    ).execute()
    logger.info("call dialing", extra={"call_id": call_id})
