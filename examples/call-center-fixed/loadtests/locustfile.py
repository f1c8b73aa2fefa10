"""Monday-morning call peak: `locust -f loadtests/locustfile.py --host https://staging...`."""

from locust import HttpUser, between, task


class Dispatcher(HttpUser):
    wait_time = between(1, 3)

    @task
    def list_calls(self) -> None:
        self.client.get("/calls", headers={"Authorization": "Bearer ${LOADTEST_TOKEN}"})
