"""Locust users for ``benchmarks/load.py``: trainers asking, following up, searching, reading and rating.

Each user keeps a conversation: a question, then follow-ups in the same conversation ("and in Asia?")
until it starts a new one. Between questions it searches, opens the passage page of a passage its
last answer cited (as clicking a citation does) and rates the last answer. Users do not pause
between requests (closed loop), as ``bench_http.py`` measured, so the figures show the server
saturated by N clients, not N trainers reading. Run by ``load.py``; by hand:

    .venv/bin/locust -f benchmarks/locustfile.py --headless -u 10 -r 10 -t 30s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import random
from urllib.parse import quote

from locust import FastHttpUser, constant, task

# (question, follow-ups asked next in the same conversation)
CONVERSATIONS = (
    ("How did trainers get enterprises to pay for the training?", ("and in Asia?", "and in Latin America?")),
    ("Which donors fund SCORE in India, the Philippines and South Africa?", ("and in Ghana?",)),
    ("How did SCORE help enterprises cut energy costs?", ("What about waste?",)),
    ("What is SCORE4Climate?", ()),
    ("How were women workers supported in Ethiopia?", ("and in Bangladesh?",)),
    ("Which governments adopted SCORE training?", ()),
    ("What did SCORE achieve in Vietnam?", ("and in Indonesia?",)),
    ("How many enterprises fully covered the training cost in Myanmar?", ()),
)
SEARCHES = ("energy efficiency", "worker participation", "cost recovery", "Peru", "quality management")
_starts = itertools.count()


class Trainer(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.turns = self._turns(next(_starts))
        self.last_answer: dict | None = None

    @staticmethod
    def _turns(offset: int):
        """Questions in conversation order, each with whether it continues the conversation."""
        for number in itertools.count(offset):
            first, follow_ups = CONVERSATIONS[number % len(CONVERSATIONS)]
            yield first, False
            for follow_up in follow_ups:
                yield follow_up, True

    @task(4)
    def ask(self) -> None:
        question, continues = next(self.turns)
        body: dict = {"question": question}
        if continues and self.last_answer:
            body["conversation_id"] = self.last_answer["conversation_id"]
        response = self.client.post("/api/ask", json=body, name="POST /api/ask")
        if response.status_code == 200:  # any other status is counted as an error by Locust
            self.last_answer = response.json()

    @task(2)
    def search(self) -> None:
        self.client.get("/api/search", params={"q": random.choice(SEARCHES)}, name="GET /api/search")

    @task(2)
    def passage(self) -> None:
        if not self.last_answer:
            return self.ask()
        cited = self.last_answer["citations"] or self.last_answer["passages"]
        if cited:
            chunk_id = random.choice(cited)["chunk_id"]
            self.client.get(f"/passages/{quote(chunk_id, safe='')}", name="GET /passages/{chunk_id}")

    @task(1)
    def feedback(self) -> None:
        if not self.last_answer:
            return self.ask()
        body = {"answer_id": self.last_answer["answer_id"], "rating": random.choice(("up", "down"))}
        self.client.post("/api/feedback", json=body, name="POST /api/feedback")
