"""Lambda ``Invoke`` (async), Secrets Manager ``GetSecretValue`` and three DynamoDB item
operations, over httpx."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.aws._sigv4 import sign_v4

# The names the AWS SDKs read for per-service endpoints (tests point them at local servers).
_ENDPOINT_VARIABLES = {
    "lambda": "AWS_ENDPOINT_URL_LAMBDA",
    "secretsmanager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "dynamodb": "AWS_ENDPOINT_URL_DYNAMODB",
}
INVOKE_TIMEOUT = httpx.Timeout(1.5, connect=0.5)
"""The self-invoke runs before the ack: it must leave room for the inline fallback in 3 s."""


class AwsError(Exception):
    """An AWS call failed; the message names the call and AWS's error type, never a secret."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        """AWS's error type (``ConditionalCheckFailedException``), empty when there was none."""


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AwsCredentials:
        """Lambda puts the execution role's keys in the environment."""
        key_id = environ.get("AWS_ACCESS_KEY_ID")
        secret = environ.get("AWS_SECRET_ACCESS_KEY")
        if not key_id or not secret:
            raise AwsError("No AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are unset.")
        return cls(key_id, secret, environ.get("AWS_SESSION_TOKEN") or None)


class AwsClient:
    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._env = dict(os.environ if environ is None else environ)
        self.region = (
            self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        if transport is None:
            from bot._transport import transport_for

            transport = transport_for(self.endpoint("lambda"))
        self._http = httpx.Client(transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return f"AwsClient(region={self.region!r})"

    def close(self) -> None:
        self._http.close()

    def endpoint(self, service: str) -> str:
        override = self._env.get(_ENDPOINT_VARIABLES[service]) or self._env.get("AWS_ENDPOINT_URL")
        return (override or f"https://{service}.{self.region}.amazonaws.com").rstrip("/")

    def _send(
        self,
        service: str,
        operation: str,
        method: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        creds = AwsCredentials.from_env(self._env)
        signed = sign_v4(
            method=method,
            url=url,
            headers=headers,
            body=body,
            service=service,
            region=self.region,
            access_key_id=creds.access_key_id,
            secret_access_key=creds.secret_access_key,
            session_token=creds.session_token,
            now=datetime.now(UTC),
        )
        try:
            response = self._http.request(
                method, url, content=body, headers=signed, timeout=timeout or self._http.timeout
            )
        except httpx.HTTPError as exc:
            raise AwsError(
                f"{operation}: no answer from {service} ({type(exc).__name__})"
            ) from None
        if response.status_code >= 300:
            kind = response.headers.get("x-amzn-errortype", "").split(":")[0] or _error_type(
                response
            )
            raise AwsError(f"{operation}: HTTP {response.status_code} {kind}".rstrip(), kind)
        return response

    def invoke_async(self, function: str, payload: bytes) -> None:
        """``Invoke`` with ``InvocationType=Event``: queued by Lambda, answered 202 at once."""
        url = (
            f"{self.endpoint('lambda')}/2015-03-31/functions/{quote(function, safe='')}/invocations"
        )
        headers = {"x-amz-invocation-type": "Event", "content-type": "application/json"}
        self._send("lambda", "lambda:Invoke", "POST", url, payload, headers, INVOKE_TIMEOUT)

    def dynamodb(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """One DynamoDB JSON call (``PutItem``, ``UpdateItem``, ``GetItem``…); its answer."""
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": f"DynamoDB_20120810.{operation}",
        }
        response = self._send(
            "dynamodb",
            f"dynamodb:{operation}",
            "POST",
            self.endpoint("dynamodb") + "/",
            json.dumps(request).encode(),
            headers,
        )
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer

    def get_secret_string(self, secret_id: str) -> str:
        body = json.dumps({"SecretId": secret_id}).encode()
        headers = {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "secretsmanager.GetSecretValue",
        }
        response = self._send(
            "secretsmanager",
            "secretsmanager:GetSecretValue",
            "POST",
            self.endpoint("secretsmanager") + "/",
            body,
            headers,
        )
        value = response.json().get("SecretString")
        if not isinstance(value, str):
            raise AwsError("secretsmanager:GetSecretValue: the secret has no SecretString")
        return value


def _error_type(response: httpx.Response) -> str:
    try:
        data: Any = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        return str(data.get("__type") or data.get("Type") or data.get("code") or "").split("#")[-1]
    return ""


@dataclass
class LambdaInvoker:
    """boto3's ``lambda_client.invoke`` shape, so Bolt-style code and the local stub fit alike."""

    client: AwsClient

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        if InvocationType != "Event":
            raise ValueError("only asynchronous (Event) self-invocations are supported")
        self.client.invoke_async(FunctionName, Payload.encode())
        return {"StatusCode": 202}
