from celery import Celery

from app.settings import settings

celery = Celery("call-center", broker=settings.redis_url, backend=settings.redis_url)
celery.autodiscover_tasks(["worker"])
