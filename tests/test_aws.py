"""The hand-signed AWS calls: SigV4 byte for byte against botocore's signer, then over real
HTTP against moto's server (Secrets Manager) and a local Lambda stand-in that re-checks the
signature with botocore."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bot.aws import AwsClient, AwsError, LambdaInvoker, sign_v4

NOW = datetime(2024, 1, 1, 12, 30, 45, tzinfo=UTC)
KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "aws-test-secret-key"}
ARN = "arn:aws:lambda:us-east-1:123456789012:function:smartjobs-test"


def botocore_headers(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    service: str,
    token: str | None,
    monkeypatch: Any,
) -> dict[str, str]:
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda *a, **k: NOW.replace(tzinfo=None)
    )
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(
        Credentials(KEYS["AWS_ACCESS_KEY_ID"], KEYS["AWS_SECRET_ACCESS_KEY"], token),
        service,
        "us-east-1",
    ).add_auth(request)
    return {k.lower(): v for k, v in request.headers.items()}


@pytest.mark.parametrize("token", [None, "session-token-value"])
@pytest.mark.parametrize(
    ("service", "url", "headers", "body"),
    [
        (
            "lambda",
            "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Asmartjobs-test/invocations",
            {"x-amz-invocation-type": "Event", "content-type": "application/json"},
            b'{"headers": {"x-slack-bolt-lazy-only": "1"}}',
        ),
        (
            "secretsmanager",
            "https://secretsmanager.us-east-1.amazonaws.com/",
            {
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": "secretsmanager.GetSecretValue",
            },
            b'{"SecretId": "smartjobs"}',
        ),
        ("lambda", "https://lambda.us-east-1.amazonaws.com/x?b=2&a=1%202", {}, b""),
    ],
)
def test_sigv4_matches_botocore(
    service: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    token: str | None,
    monkeypatch: Any,
) -> None:
    ours = sign_v4(
        method="POST",
        url=url,
        headers=headers,
        body=body,
        service=service,
        region="us-east-1",
        access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        session_token=token,
        now=NOW,
    )
    theirs = botocore_headers("POST", url, body, headers, service, token, monkeypatch)
    assert ours["authorization"] == theirs["authorization"]
    assert ours["x-amz-date"] == theirs["x-amz-date"]
    if token:
        assert ours["x-amz-security-token"] == token


class LambdaStandIn:
    """Lambda's Invoke API on loopback; it recomputes the signature with botocore."""

    def __init__(self, status: int = 202, error_type: str = "") -> None:
        self.calls: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                stand_in.calls.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(status)
                if error_type:
                    self.send_header("x-amzn-ErrorType", f"{error_type}:http://internal")
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_async_invoke_is_signed_and_sent_as_an_event(monkeypatch: Any) -> None:
    lam = LambdaStandIn()
    try:
        client = AwsClient(
            environ={**KEYS, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_LAMBDA": lam.url}
        )
        LambdaInvoker(client).invoke(FunctionName=ARN, InvocationType="Event", Payload='{"a": 1}')
    finally:
        lam.close()
    [call] = lam.calls
    assert (
        call["path"]
        == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Asmartjobs-test/invocations"
    )
    assert call["headers"]["x-amz-invocation-type"] == "Event"
    assert json.loads(call["body"]) == {"a": 1}
    # the stand-in's view of the request, re-signed by botocore at the same instant
    sent = {k.lower(): v for k, v in call["headers"].items()}
    when = datetime.strptime(sent["x-amz-date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: when)
    request = AWSRequest(
        method="POST",
        url=lam.url + call["path"],
        data=call["body"],
        headers={k: sent[k] for k in ("x-amz-invocation-type", "content-type")},
    )
    SigV4Auth(
        Credentials(KEYS["AWS_ACCESS_KEY_ID"], KEYS["AWS_SECRET_ACCESS_KEY"]), "lambda", "us-east-1"
    ).add_auth(request)
    assert request.headers["Authorization"] == sent["authorization"]


def test_a_refused_invoke_names_the_error_type_not_the_key() -> None:
    lam = LambdaStandIn(status=403, error_type="AccessDeniedException")
    try:
        client = AwsClient(environ={**KEYS, "AWS_ENDPOINT_URL_LAMBDA": lam.url})
        with pytest.raises(AwsError) as info:
            client.invoke_async(ARN, b"{}")
    finally:
        lam.close()
    assert "AccessDeniedException" in str(info.value) and "403" in str(info.value)
    assert KEYS["AWS_SECRET_ACCESS_KEY"] not in str(info.value)


def test_missing_aws_credentials_are_a_clear_error() -> None:
    with pytest.raises(AwsError) as info:
        AwsClient(environ={}).invoke_async(ARN, b"{}")
    assert "AWS_ACCESS_KEY_ID" in str(info.value)


def test_secret_is_read_over_http_from_secrets_manager(moto_server: str) -> None:
    env = {**KEYS, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_server}
    boto = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=moto_server,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    arn = boto.create_secret(
        Name="smartjobs-read", SecretString=json.dumps({"SLACK_BOT_TOKEN": "xoxb-1"})
    )["ARN"]
    client = AwsClient(environ=env)
    assert json.loads(client.get_secret_string(arn)) == {"SLACK_BOT_TOKEN": "xoxb-1"}
    with pytest.raises(AwsError) as info:
        client.get_secret_string(arn + "-missing")
    assert "ResourceNotFoundException" in str(info.value)


def test_unreachable_endpoint_is_an_aws_error() -> None:
    client = AwsClient(environ={**KEYS, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, timeout=0.5)
    with pytest.raises(AwsError) as info:
        client.get_secret_string("x")
    assert "no answer" in str(info.value)
