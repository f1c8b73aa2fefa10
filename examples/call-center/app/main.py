from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.routers import calls, webhooks

app = FastAPI(title="call-center", debug=True)
app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
app.include_router(calls.router)
app.include_router(webhooks.router)
