from fastapi import APIRouter

from app.supabase_client import get_supabase
from worker.tasks import place_outbound_call

router = APIRouter(prefix="/calls", tags=["calls"])


@router.post("")
def create_call(payload: dict) -> dict:
    row = get_supabase().table("calls").insert(
        {"to_number": payload["to"], "status": "queued"}
    ).execute()
    call = row.data[0]
    print("placing call to", payload["to"])
    place_outbound_call.delay(call["id"], payload["to"])
    return call


@router.get("")
def list_calls() -> list[dict]:
    return get_supabase().table("calls").select("*").execute().data


@router.get("/recent")
def recent_calls(limit: int = 100) -> list[dict]:
    return get_supabase().table("calls").select("*").limit(limit).execute().data
