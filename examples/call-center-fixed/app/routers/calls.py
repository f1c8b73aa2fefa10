import logging

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.deps import limiter
from app.security import require_api_token
from app.supabase_client import get_supabase
from worker.tasks import place_outbound_call

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/calls", tags=["calls"], dependencies=[Depends(require_api_token)])


class CallRequest(BaseModel):
    to: str = Field(pattern=r"^\+[1-9]\d{6,14}$")


class Call(BaseModel):
    id: str
    status: str


@router.post("", response_model=Call, status_code=202)
@limiter.limit("10/minute")
def create_call(request: Request, payload: CallRequest) -> Call:
    row = get_supabase().table("calls").insert({"to_number": payload.to, "status": "queued"})
    call = Call.model_validate(row.execute().data[0])
    logger.info("call queued", extra={"call_id": call.id})
    place_outbound_call.delay(call.id, payload.to)
    return call


@router.get("", response_model=list[Call])
def list_calls(
    limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)
) -> list[Call]:
    rows = (
        get_supabase()
        .table("calls")
        .select("id,status")
        .order("created_at", desc=True)
        .range(offset, offset + limit - 1)
        .execute()
    )
    return [Call.model_validate(r) for r in rows.data]
