import logging

from pythonjsonlogger.json import JsonFormatter


def configure_logging() -> None:
    """JSON lines on stdout: the cluster's log collector indexes every field."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
