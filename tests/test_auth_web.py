"""Signing in on the web, with a real app, database and index: the session cookie and its flags, CSRF,
the one refusal message, lockout, bearer tokens, redirects to sign in, and SCORE_REQUIRE_LOGIN."""

from __future__ import annotations

import json
import re
import time
from base64 import b64encode
from pathlib import Path

import itsdangerous
import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.db.accounts_store import LOGIN_REFUSED, AccountsStore
from assistant.db.audit import Actor, audit_events
from assistant.web.app import create_app
from assistant.web.auth import safe_next
from assistant.web.csrf import REFUSED
from assistant.web.deps import UserDep
from assistant.web.security import APP, secured_router
from assistant.web.sessions import SESSION_COOKIE, SESSION_MAX_AGE_S, secret_key
from tests.builders import database_with_accounts

SECRET = "a test key, long enough to sign cookies with"
PASSWORD = "correct horse battery"
MODERATOR = "mod@example.org"
FACILITATOR = "fac@example.org"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def _staff_routers():
    """A page and an API route only moderators may use, as /moderate and /api/moderation will be."""
    pages = secured_router(APP.only("moderator"), include_in_schema=False)
    api = secured_router(APP.only("moderator"), prefix="/api/staff")

    @pages.get("/staff-page")
    def staff_page(user: UserDep) -> HTMLResponse:
        return HTMLResponse(f"<p>hello {user.email}</p>")

    @pages.post("/staff-action")
    def staff_action(user: UserDep) -> dict[str, str]:
        return {"done_by": user.email or ""}

    @api.get("")
    def staff_read(user: UserDep) -> dict[str, str]:
        return {"role": user.role}

    @api.post("")
    def staff_write(user: UserDep) -> dict[str, str]:
        return {"written_by": user.email or ""}

    return pages, api


@pytest.fixture
def site(small_settings, small_assistant, tmp_path):
    """Makes a client of a fresh app over one database holding a moderator and a facilitator."""
    url, database, _ = database_with_accounts(tmp_path, {MODERATOR: "moderator", FACILITATOR: "facilitator"}, PASSWORD)
    accounts = AccountsStore(database)
    clients = []

    def client(require_login: bool = False, base_url: str = "http://testserver") -> TestClient:
        settings = small_settings.replace(database={"url": url},
                                          web={"secret_key": SECRET, "require_login": require_login})
        app = create_app(settings, small_assistant)
        for router in _staff_routers():
            app.include_router(router)
        made = TestClient(app, base_url=base_url, follow_redirects=False)
        clients.append(made.__enter__())
        return made

    client.accounts = accounts  # type: ignore[attr-defined]
    yield client
    for made in clients:
        made.__exit__(None, None, None)
    accounts.database.dispose()


def _csrf(response) -> str:
    match = CSRF_INPUT.search(response.text)
    assert match, response.text
    return match.group(1)


def _sign_in(client: TestClient, email: str = MODERATOR, password: str = PASSWORD, next_url: str = "/"):
    token = _csrf(client.get("/login", params={"next": next_url}))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next_url})


def _error(response) -> str:
    return re.search(r'class="form-error" role="alert">([^<]*)<', response.text).group(1)


def test_signing_in_sets_a_signed_httponly_lax_cookie_and_out_clears_it(site):
    client = site()
    assert client.get("/staff-page", headers={"accept": "text/html"}).headers["location"] == "/login?next=/staff-page"
    signed_in = _sign_in(client, next_url="/staff-page")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/staff-page"
    cookie = signed_in.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    assert client.get("/staff-page").text == f"<p>hello {MODERATOR}</p>"
    home = client.get("/")
    assert f"{MODERATOR} (moderator)" in home.text and 'action="/logout"' in home.text
    assert client.get("/api/staff").json() == {"role": "moderator"}

    assert client.post("/logout").status_code == 403  # no CSRF token
    out = client.post("/logout", data={"csrf_token": _csrf(home)})
    assert out.status_code == 303 and "01 jan 1970" in out.headers["set-cookie"].lower()
    assert client.get("/api/staff").status_code == 401
    actions = [e.action for e in audit_events(site.accounts.database)]
    assert actions[:2] == ["logout", "login.success"]


def test_the_cookie_is_secure_over_https(site):
    client = site(base_url="https://testserver")
    cookie = _sign_in(client).headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/staff").status_code == 200


def test_cookie_requests_need_the_csrf_token_and_bearer_ones_do_not(site):
    client = site()
    assert _sign_in(client).status_code == 303
    token = _csrf(client.get("/"))
    assert client.post("/staff-action").status_code == 403
    refused = client.post("/staff-action", data={"csrf_token": "stale"}, headers={"accept": "text/html"})
    assert refused.status_code == 403 and REFUSED.split(":")[0] in refused.text
    assert client.post("/staff-action", data={"csrf_token": token}).json() == {"done_by": MODERATOR}
    assert client.post("/api/staff", json={}).status_code == 403
    assert client.post("/api/staff", json={}, headers={"X-CSRF-Token": token}).json() == {"written_by": MODERATOR}
    # The chat's own forms: a signed-in trainer's question needs the token too (htmx sends it as a header).
    question = {"question": "Which enterprises paid for the training?"}
    assert client.post("/ask", data=question).status_code == 403
    assert client.post("/ask", data=question, headers={"X-CSRF-Token": token}).status_code == 303

    bearer = TestClient(client.app).post("/api/auth/token", json={"email": MODERATOR, "password": PASSWORD})
    scripted = TestClient(client.app)
    response = scripted.post("/api/staff", headers={"Authorization": f"Bearer {bearer.json()['token']}"})
    assert response.json() == {"written_by": MODERATOR}  # no cookie, no token needed


def test_the_login_form_itself_needs_its_token(site):
    client = site()
    client.get("/login")
    refused = client.post("/login", data={"email": MODERATOR, "password": PASSWORD})
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert client.get("/api/staff").status_code == 401


def test_a_wrong_email_reads_exactly_as_a_wrong_password(site):
    client = site()
    wrong_email = _sign_in(client, email="nobody@example.org")
    wrong_password = _sign_in(client, password="not the password")
    assert wrong_email.status_code == wrong_password.status_code == 401
    assert _error(wrong_email) == _error(wrong_password) == LOGIN_REFUSED
    api = TestClient(client.app)
    answers = [api.post("/api/auth/token", json={"email": e, "password": p})
               for e, p in (("nobody@example.org", PASSWORD), (MODERATOR, "not the password"))]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json() == answers[1].json() == {"detail": LOGIN_REFUSED}


def test_five_failures_lock_the_account(site):
    client = site()
    for _ in range(5):
        assert _sign_in(client, password="guess").status_code == 401
    locked = _sign_in(client)  # the right password, too late
    assert locked.status_code == 401 and _error(locked) == LOGIN_REFUSED
    assert client.get("/api/staff").status_code == 401
    assert TestClient(client.app).post("/api/auth/token", json={"email": MODERATOR, "password": PASSWORD}
                                       ).status_code == 401
    assert site.accounts.account(MODERATOR).locked_until is not None
    lockout = audit_events(site.accounts.database, "login.lockout")
    assert len(lockout) == 1 and lockout[0].client == "testclient"
    assert _sign_in(client, email=FACILITATOR).status_code == 303  # other accounts are not locked


def test_bearer_tokens_work_until_revoked(site):
    client = site()
    token = client.post("/api/auth/token", json={"email": " MOD@example.org ", "password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/staff", headers=auth).json() == {"role": "moderator"}
    assert client.delete("/api/auth/token", headers=auth).status_code == 204
    revoked = client.get("/api/staff", headers=auth)
    assert revoked.status_code == 401 and revoked.headers["www-authenticate"] == "Bearer"
    assert client.delete("/api/auth/token", headers=auth).status_code == 401
    assert client.delete("/api/auth/token").status_code == 401

    second = client.post("/api/auth/token", json={"email": MODERATOR, "password": PASSWORD}).json()["token"]
    site.accounts.revoke_tokens(MODERATOR, Actor("test"))  # score-assistant users revoke-tokens
    assert client.get("/api/staff", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert client.get("/api/staff", headers={"Authorization": "Bearer forged"}).status_code == 401
    actions = [e.action for e in audit_events(site.accounts.database) if e.action.startswith("token.")]
    assert actions == ["token.revoked", "token.issued", "token.revoked", "token.issued"]


def test_anonymous_and_unentitled_visitors_are_refused(site):
    client = site()
    html = client.get("/staff-page?tab=2", headers={"accept": "text/html"})
    assert html.status_code == 303 and html.headers["location"] == "/login?next=/staff-page%3Ftab%3D2"
    assert 'name="next" value="/staff-page?tab=2"' in client.get(html.headers["location"]).text
    htmx = client.post("/staff-action", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/staff-page"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/login?next=/staff-page"
    api = client.get("/api/staff")
    assert api.status_code == 401 and api.json() == {"detail": "sign in to use this page"}

    assert _sign_in(client, email=FACILITATOR).status_code == 303
    assert client.get("/staff-page").status_code == 403 and client.get("/api/staff").status_code == 403
    assert client.get("/").status_code == 200


def test_disabled_accounts_and_expired_or_forged_sessions_are_anonymous(site):
    client = site()
    assert _sign_in(client).status_code == 303
    user_id = site.accounts.account(MODERATOR).id
    site.accounts.disable(MODERATOR, Actor("test"))
    assert client.get("/api/staff").status_code == 401

    def cookie(key: str, age_s: int) -> str:
        class Signer(itsdangerous.TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time()) - age_s

        data = b64encode(json.dumps({"uid": user_id, "csrf": "x"}).encode())
        return Signer(key).sign(data).decode()

    site.accounts.enable(MODERATOR, Actor("test"))
    fresh = site()
    for value, status in ((cookie(SECRET, 60), 200), (cookie(SECRET, SESSION_MAX_AGE_S + 60), 401),
                          (cookie("another key", 60), 401), ("garbage", 401)):
        fresh.cookies.set(SESSION_COOKIE, value)
        assert fresh.get("/api/staff").status_code == status, value


def test_require_login_makes_the_chat_sign_in_only(site):
    client = site(require_login=True)
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert client.get("/c/abc", headers={"accept": "text/html"}).headers["location"] == "/login?next=/c/abc"
    assert client.post("/api/ask", json={"question": "Who paid?"}).status_code == 401
    assert client.get("/login").status_code == 200  # signing in stays open

    assert _sign_in(client, email=FACILITATOR).status_code == 303
    assert client.get("/").status_code == 200
    token = _csrf(client.get("/"))
    asked = client.post("/ask", data={"question": "Which enterprises paid?"}, headers={"X-CSRF-Token": token})
    assert asked.status_code == 303 and asked.headers["location"].startswith("/c/")
    assert site(require_login=False).get("/").status_code == 200  # without the setting the chat is open


@pytest.mark.parametrize(("target", "kept"), [("/moderate?x=1", True), ("//evil.org", False),
                                               ("https://evil.org/", False), ("/\\evil.org", False),
                                               ("/\t/evil.org", False), ("moderate", False), ("", False)])
def test_only_paths_of_this_site_are_followed_after_sign_in(target, kept):
    assert safe_next(target) == (target if kept else "/")


def test_the_secret_key_is_made_once_and_shared(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = secret_key(Settings())
    key_file = Path("var") / "secret_key"
    assert key_file.read_text() == first and len(first) >= 60 and key_file.stat().st_mode & 0o777 == 0o600
    assert secret_key(Settings()) == first  # a second worker, a restart
    assert secret_key(Settings(web={"secret_key": "from the environment"})) == "from the environment"
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]  # no draft left behind
