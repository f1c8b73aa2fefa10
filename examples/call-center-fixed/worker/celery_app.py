from celery import Celery

from app.logging_config import configure_logging
from app.settings import settings

configure_logging()

redis_url = settings.redis_url.get_secret_value()
celery = Celery("call-center", broker=redis_url, backend=redis_url)
celery.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, result_expires=3600)
celery.autodiscover_tasks(["worker"])
