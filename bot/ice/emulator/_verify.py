"""Request verification as the ICE gateway does it: ACS3-HMAC-SHA256, clock, nonce, STS token.

Reuses :mod:`bot.ice._signing`, the same canonicalisation the client signs with, so a
request this accepts is one the real service would accept (the tests prove it with
requests recorded from the official SDK). Plain functions over plain values: no sockets.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from bot.ice import _signing
from bot.ice._enums import ACTIONS, API_VERSION, WIRE_TIME
from bot.ice.emulator._errors import ApiError

DEMO_ACCESS_KEY_ID: Final = "smartjobs-demo-id"
DEMO_ACCESS_KEY_SECRET: Final = "smartjobs-demo-secret"  # noqa: S105  (documented, local only)

NONCE_MEMORY: Final = 100_000


@dataclass(frozen=True, slots=True)
class Incoming:
    """One HTTP request as the verifier sees it (header names lower-cased)."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query


def parse_params(raw_query: str) -> dict[str, str]:
    """Decode the URL query (``+`` is a space, as the official SDK sends it); no duplicates."""
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ApiError("InvalidParameter", "The query string is not valid UTF-8.") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise ApiError("InvalidParameter", f"The parameter {key} is given more than once.")
        params[key] = value
    return params


class NonceBook:
    """Nonces already used, per AccessKey; bounded, oldest forgotten first."""

    def __init__(self, capacity: int = NONCE_MEMORY) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def use(self, access_key_id: str, nonce: str) -> bool:
        """Record the nonce; False when it was already used."""
        key = (access_key_id, nonce)
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


@dataclass
class Verifier:
    """Checks an ACS3-HMAC-SHA256 request the way the ICE gateway does."""

    credentials: Mapping[str, str]
    security_tokens: Mapping[str, str]
    max_skew: timedelta | None
    host_header: str | None = None
    nonces: NonceBook = field(default_factory=NonceBook)

    def verify(self, request: Incoming, params: Mapping[str, str], now: datetime) -> str:
        """The AccessKey id of a genuine request; raises :class:`ApiError` otherwise."""
        if request.path != "/":
            raise ApiError("InvalidAction.NotFound")
        auth = self._authorization(request, params)
        headers = request.headers
        for name in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
            if not headers.get(name):
                raise ApiError(
                    "MissingParameter", f"The input parameter {name!r} is mandatory but missing."
                )
        if headers["x-acs-action"] not in ACTIONS:
            raise ApiError(
                "InvalidAction.NotFound",
                f"Specified api {headers['x-acs-action']!r} is not found for version "
                f"{API_VERSION}.",
            )
        if headers["x-acs-version"] != API_VERSION:
            raise ApiError(
                "InvalidVersion",
                f"Specified parameter Version {headers['x-acs-version']!r} is not valid.",
            )
        self._check_signed_names(auth, headers)
        self._check_date(headers["x-acs-date"], now)
        secret = self.credentials.get(auth.access_key_id)
        if secret is None:
            raise ApiError("InvalidAccessKeyId.NotFound")
        self._check_signature(auth, request, params, secret)
        self._check_token(auth.access_key_id, headers.get("x-acs-security-token"))
        if not self.nonces.use(auth.access_key_id, headers["x-acs-signature-nonce"]):
            raise ApiError("SignatureNonceUsed")
        return auth.access_key_id

    def _authorization(
        self, request: Incoming, params: Mapping[str, str]
    ) -> _signing.ParsedAuthorization:
        value = request.headers.get("authorization")
        if value is None:
            if "Signature" in params and "SignatureVersion" in params:
                raise ApiError(
                    "IncompleteSignature",
                    "Signature version 1.0 (HMAC-SHA1 in the query) is not accepted by this "
                    "emulator: sign with ACS3-HMAC-SHA256.",
                )
            raise ApiError("IncompleteSignature", "The Authorization header is missing.")
        auth = _signing.parse_authorization(value)
        if auth is None or not auth.access_key_id or not auth.signature:
            raise ApiError(
                "IncompleteSignature",
                "The Authorization header is not 'ACS3-HMAC-SHA256 Credential=..., "
                "SignedHeaders=..., Signature=...'.",
            )
        return auth

    @staticmethod
    def _check_signed_names(auth: _signing.ParsedAuthorization, headers: Mapping[str, str]) -> None:
        """``host`` and every ``x-acs-*`` header must be signed; every signed one present."""
        signed = set(auth.signed_names)
        must = {"host", "x-acs-content-sha256"} | {n for n in headers if n.startswith("x-acs-")}
        unsigned = sorted(must - signed)
        if unsigned:
            raise ApiError("IncompleteSignature", f"The header {unsigned[0]!r} must be signed.")
        for name in auth.signed_names:
            if name != name.lower() or (name not in headers and name != "host"):
                raise ApiError(
                    "IncompleteSignature",
                    f"SignedHeaders lists {name!r}, which the request does not carry.",
                )

    def _check_date(self, value: str, now: datetime) -> None:
        try:
            moment = datetime.strptime(value, WIRE_TIME).replace(tzinfo=UTC)
        except ValueError:
            raise ApiError(
                "InvalidTimeStamp.Expired",
                f"Specified x-acs-date {value!r} is not in the format YYYY-MM-DDTHH:MM:SSZ.",
            ) from None
        if self.max_skew is not None and abs(now - moment) > self.max_skew:
            raise ApiError(
                "InvalidTimeStamp.Expired",
                f"Specified time stamp or date value is expired: x-acs-date {value} is more "
                f"than {int(self.max_skew.total_seconds())} s away from the server time "
                f"{now.strftime(WIRE_TIME)}.",
            )

    def _check_signature(
        self,
        auth: _signing.ParsedAuthorization,
        request: Incoming,
        params: Mapping[str, str],
        secret: str,
    ) -> None:
        body_hash = hashlib.sha256(request.body).hexdigest()
        if request.headers.get("x-acs-content-sha256") != body_hash:
            raise ApiError(
                "SignatureDoesNotMatch",
                "The x-acs-content-sha256 header does not match the SHA-256 of the request body.",
            )
        headers = dict(request.headers)
        headers["host"] = self.host_header or request.headers.get("host", "")
        creq = _signing.canonical_request(
            method=request.method,
            path=request.path,
            query=_signing.canonical_query(params),
            headers=headers,
            signed_names=auth.signed_names,
            payload_hash=body_hash,
        )
        to_sign = _signing.string_to_sign(creq)
        expected = _signing.signature(secret, to_sign)
        if not hmac.compare_digest(expected, auth.signature.lower()):
            raise ApiError(
                "SignatureDoesNotMatch",
                "Specified signature does not match our calculation. "
                f"server string to sign is:{to_sign}",
            )

    def _check_token(self, access_key_id: str, token: str | None) -> None:
        """One code for every token problem: Malformed (missing, wrong, or not an STS key)."""
        expected = self.security_tokens.get(access_key_id)
        if expected is None and token is None:
            return
        if expected is None:
            raise ApiError(
                "InvalidSecurityToken.Malformed",
                "A SecurityToken was sent with an AccessKey that is not an STS key.",
            )
        if token is None:
            raise ApiError(
                "InvalidSecurityToken.Malformed",
                "This STS AccessKey needs the x-acs-security-token header.",
            )
        if not hmac.compare_digest(expected.encode(), token.encode()):
            raise ApiError("InvalidSecurityToken.Malformed")
