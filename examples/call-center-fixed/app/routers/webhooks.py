from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.security import require_twilio_signature
from app.supabase_client import get_supabase

router = APIRouter(
    prefix="/webhooks/twilio",
    tags=["webhooks"],
    dependencies=[Depends(require_twilio_signature)],
)


@router.post("/voice")
async def voice(call_id: str) -> Response:
    twiml = "<Response><Say>Hello, this is a reminder of your appointment.</Say></Response>"
    return Response(content=twiml, media_type="application/xml")


@router.post("/status")
async def status(request: Request) -> dict[str, str]:
    form = await request.form()
    get_supabase().table("calls").update({"status": str(form.get("CallStatus"))}).eq(
        "twilio_sid", str(form.get("CallSid"))
    ).execute()
    return {"ok": "true"}
