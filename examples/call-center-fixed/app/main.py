from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from prometheus_fastapi_instrumentator import Instrumentator

from app.logging_config import configure_logging
from app.routers import calls, webhooks

configure_logging()

app = FastAPI(title="call-center")
app.add_middleware(GZipMiddleware, minimum_size=1000)
app.include_router(calls.router)
app.include_router(webhooks.router)
Instrumentator().instrument(app).expose(app, endpoint="/metrics", include_in_schema=False)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
