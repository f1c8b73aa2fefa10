"""Starts the API for the Procfile-based deployment."""

import uvicorn

uvicorn.run("app.main:app", host="0.0.0.0", port=8000, reload=True, log_level="debug")
