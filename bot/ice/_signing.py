"""ACS3-HMAC-SHA256 request signing (Alibaba Cloud signature V3), pure functions.

The same canonicalisation serves the client (to sign) and the emulator (to
verify), so the two can never drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(value: str) -> str:
    """RFC 3986: only ``A-Za-z0-9-_.~`` stay; a space is ``%20``, never ``+``."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    """Sorted, percent-encoded ``k=v`` pairs; this exact string is also what goes on the wire."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """The headers a request signs: ``host``, ``content-type`` and every ``x-acs-*``."""
    names = {name.lower() for name in headers}
    return sorted(n for n in names if n in ("host", "content-type") or n.startswith("x-acs-"))


def canonical_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_names: Iterable[str],
    payload_hash: str,
) -> str:
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    names = list(signed_names)
    block = "".join(f"{name}:{lowered.get(name, '')}\n" for name in names)
    return "\n".join([method.upper(), path or "/", query, block, ";".join(names), payload_hash])


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(access_key_id: str, signed_names: Iterable[str], sig: str) -> str:
    names = ";".join(signed_names)
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={sig}"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """Everything needed to send (and to debug) one signed request."""

    url: str
    headers: dict[str, str]
    canonical_request: str
    string_to_sign: str
    signature: str

    def __repr__(self) -> str:  # the headers may carry an STS token
        return f"SignedRequest(url={self.url!r})"


def sign(
    *,
    method: str,
    endpoint: str,
    host: str,
    action: str,
    version: str,
    params: Mapping[str, str],
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None,
    date: str,
    nonce: str,
    extra_headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> SignedRequest:
    """Sign one RPC-style request; ``endpoint`` is the scheme+authority the URL is built on."""
    payload_hash = hashlib.sha256(body).hexdigest()
    headers: dict[str, str] = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": payload_hash,
    }
    if security_token:
        headers["x-acs-accesskey-id"] = access_key_id
        headers["x-acs-security-token"] = security_token
    if extra_headers:
        headers.update(extra_headers)
    query = canonical_query(params)
    names = signed_header_names(headers)
    creq = canonical_request(
        method=method,
        path="/",
        query=query,
        headers=headers,
        signed_names=names,
        payload_hash=payload_hash,
    )
    sts = string_to_sign(creq)
    sig = signature(access_key_secret, sts)
    headers["Authorization"] = authorization(access_key_id, names, sig)
    url = f"{endpoint.rstrip('/')}/" + (f"?{query}" if query else "")
    return SignedRequest(
        url=url, headers=headers, canonical_request=creq, string_to_sign=sts, signature=sig
    )


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    access_key_id: str
    signed_names: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Split an ``Authorization`` header; None when it is not an ACS3 one."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        names = tuple(fields["SignedHeaders"].split(";"))
        return ParsedAuthorization(fields["Credential"], names, fields["Signature"])
    except KeyError:
        return None
