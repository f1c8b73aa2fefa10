import time

from app.supabase_client import get_supabase
from app.twilio_client import place_call
from worker.celery_app import celery


@celery.task
def place_outbound_call(call_id: str, to: str) -> None:
    for _ in range(3):
        try:
            sid = place_call(to, call_id)
            break
        except Exception:
            print("twilio failed, retrying", to)
            time.sleep(5)
    else:
        return
    get_supabase().table("calls").update({"twilio_sid": sid, "status": "dialing"}).eq(
        "id", call_id
    ).execute()
