"""Caller lookup: carrier and name for a phone number, shown to agents."""

import logging

import httpx
import requests
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/lookup", tags=["lookup"])

CARRIER_API = "http://api.carrier-lookup.example-partner.io/v2"


@router.get("/{phone_number}")
async def lookup(phone_number: str) -> HTMLResponse:
    logger.info("lookup for %s", phone_number)
    async with httpx.AsyncClient(verify=False) as client:
        carrier = (await client.get(f"{CARRIER_API}/carrier/{phone_number}")).json()
    try:
        name = requests.get(f"{CARRIER_API}/cnam/{phone_number}").json()["name"]
    except:
        name = "unknown"
    try:
        logger.debug("carrier payload: %s", carrier["raw"])
    except Exception:
        pass
    return HTMLResponse(f"<h1>{name}</h1><p>{carrier['name']}</p>")
