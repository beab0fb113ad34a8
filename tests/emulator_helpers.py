"""Signed requests for emulator tests: the project's signer plus httpx, nothing of IceClient."""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.ice import _signing
from bot.ice._enums import ACTION, API_VERSION
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
ERROR_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}
SUCCESS_KEYS = {"RequestId", "SmartJobList", "NextToken", "MaxResults"}  # + TotalCount if asked

# One pooled client for the whole suite: building an httpx.Client per request costs ~10 ms.
SHARED = httpx.Client()


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_for(
    target: Emulator | str,
    params: Mapping[str, str] | None = None,
    *,
    key_id: str = DEMO_ACCESS_KEY_ID,
    secret: str = DEMO_ACCESS_KEY_SECRET,
    token: str | None = None,
    host: str | None = None,
    date: str | None = None,
    nonce: str | None = None,
    action: str = ACTION,
    version: str = API_VERSION,
    method: str = "GET",
    body: bytes = b"",
) -> _signing.SignedRequest:
    """Sign for an emulator (or a base URL such as the CLI prints)."""
    url = target if isinstance(target, str) else target.url
    return _signing.sign(
        method=method,
        endpoint=url,
        host=host or url.removeprefix("http://"),
        action=action,
        version=version,
        params=dict(params or {}),
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        date=date or now_stamp(),
        nonce=nonce or uuid.uuid4().hex,
        body=body,
    )


def send(
    signed: _signing.SignedRequest,
    *,
    method: str = "GET",
    body: bytes = b"",
    client: httpx.Client | None = None,
    timeout: float = 5.0,
) -> httpx.Response:
    """Send exactly the signed URL and headers (the URL is already the canonical query)."""
    chosen = client or SHARED
    return chosen.request(method, signed.url, headers=signed.headers, content=body, timeout=timeout)


def call(emulator: Emulator, params: Mapping[str, str] | None = None, **kw: Any) -> httpx.Response:
    """Sign and send one ListSmartJobs request with the demo credentials unless told otherwise."""
    method = kw.get("method", "GET")
    body = kw.get("body", b"")
    return send(sign_for(emulator, params, **kw), method=method, body=body)


def ok(emulator: Emulator, params: Mapping[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    response = call(emulator, params, **kw)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def error_of(response: httpx.Response) -> dict[str, str]:
    """The service error body, after checking its shape and its RequestId header."""
    body: dict[str, str] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    return body


def pages(emulator: Emulator, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """Follow NextToken to the end."""
    token = ""
    while True:
        query = dict(params) | ({"NextToken": token} if token else {})
        page = ok(emulator, query)
        yield page
        token = page.get("NextToken") or ""
        if not token:
            return


def sdk_requests() -> dict[str, dict[str, Any]]:
    """Requests recorded from the official SDK (credentials testid/testsecret)."""
    loaded: dict[str, dict[str, Any]] = json.loads(
        (DATA / "ice-official-sdk-requests.json").read_text()
    )
    return loaded


def official_sdk_client(emulator: Emulator) -> Any:
    """The official SDK's client, with the demo pair, talking plain HTTP to the emulator."""
    from alibabacloud_ice20201109.client import Client
    from alibabacloud_tea_openapi.models import Config

    return Client(
        Config(
            access_key_id=DEMO_ACCESS_KEY_ID,
            access_key_secret=DEMO_ACCESS_KEY_SECRET,
            endpoint=f"127.0.0.1:{emulator.port}",
            protocol="http",
        )
    )


def replay(emulator: Emulator, recorded: Mapping[str, Any]) -> httpx.Response:
    """Send a recorded request byte for byte to the emulator, its Host header included."""
    _, _, rest = str(recorded["url"]).partition("://")
    _, slash, path_and_query = rest.partition("/")
    return SHARED.request(
        recorded["method"],
        f"{emulator.url}{slash}{path_and_query}",
        headers=dict(recorded["headers"]),
        timeout=5.0,
    )


def start_process(command: list[str], env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start an emulator process from the project's root: the process and its first line."""
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline()


def stop_with_ctrl_c(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Ctrl-C a ``smartjobs emulator`` process: its exit code, the rest of stdout, stderr."""
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()  # never leave an emulator behind
        proc.communicate()
        raise AssertionError("Ctrl-C did not stop the emulator within 10 s") from None
    return proc.returncode, out, err
