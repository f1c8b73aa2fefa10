"""Starts the API for the Procfile-based deployment."""

import os

import uvicorn

uvicorn.run(
    "app.main:app",
    host="0.0.0.0",
    port=8000,
    workers=int(os.environ.get("WEB_CONCURRENCY", "2")),
    log_level=os.environ.get("LOG_LEVEL", "info"),
)
