from fastapi import FastAPI

from app.routers import calls, webhooks

app = FastAPI(title="call-center", debug=True)
app.include_router(calls.router)
app.include_router(webhooks.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
