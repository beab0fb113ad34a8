"""ACS3-HMAC-SHA256: the golden vectors byte for byte, and the encodings that break naive signers."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ice._signing import canonical_query, parse_authorization, percent_encode, sign

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "ice-signature-v3-vectors.json").read_text())
PARAMS = {"JobState": "Failed", "JobType": "ASR", "MaxResults": "20", "NextToken": "abc"}
FIXED = {
    "method": "GET",
    "endpoint": "https://ice.cn-shanghai.aliyuncs.com",
    "host": "ice.cn-shanghai.aliyuncs.com",
    "action": "ListSmartJobs",
    "version": "2020-11-09",
    "access_key_id": "testid",
    "access_key_secret": "testsecret",
    "date": "2024-01-01T00:00:00Z",
    "nonce": "3156853299f313e23d1673dc12e1703d",
}


@pytest.mark.parametrize(("name", "token"), [("minimal_ak", None), ("minimal_sts", "testststoken")])
def test_golden_vectors_byte_for_byte(name: str, token: str | None) -> None:
    expected = VECTORS[name]
    signed = sign(params=PARAMS, security_token=token, **FIXED)
    assert signed.canonical_request == expected["creq"]
    assert signed.string_to_sign == expected["sts"]
    assert signed.signature == expected["sig"]
    assert signed.headers["Authorization"] == expected["auth"]


def test_sts_adds_token_and_key_id_headers() -> None:
    signed = sign(params=PARAMS, security_token="testststoken", **FIXED)
    assert signed.headers["x-acs-security-token"] == "testststoken"
    assert signed.headers["x-acs-accesskey-id"] == "testid"
    assert "x-acs-security-token" in signed.headers["Authorization"]


def test_url_is_exactly_the_signed_canonical_query() -> None:
    tricky = {**PARAMS, "NextToken": "a b+c/d=e~f*g'h!(x)é"}
    signed = sign(params=tricky, security_token=None, **FIXED)
    query = signed.canonical_request.split("\n")[2]
    assert urlsplit(signed.url).query == query
    assert "NextToken=a%20b%2Bc%2Fd%3De~f%2Ag%27h%21%28x%29%C3%A9" in query
    assert "+" not in urlsplit(signed.url).query


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (" ", "%20"),
        ("+", "%2B"),
        ("/", "%2F"),
        ("=", "%3D"),
        ("~", "~"),
        ("*", "%2A"),
        ("'", "%27"),
        ("!", "%21"),
        ("(", "%28"),
        (")", "%29"),
        ("é", "%C3%A9"),
        ("AZaz09-_.", "AZaz09-_."),
    ],
)
def test_rfc3986_encoding(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def test_canonical_query_sorts_by_encoded_key() -> None:
    assert canonical_query({"b": "2", "a": "1", "A": "0"}) == "A=0&a=1&b=2"


def test_empty_params_give_a_bare_slash_url() -> None:
    signed = sign(params={}, security_token=None, **FIXED)
    assert signed.url == "https://ice.cn-shanghai.aliyuncs.com/"


def test_repr_hides_headers_and_token() -> None:
    signed = sign(params=PARAMS, security_token="sts-secret-token", **FIXED)
    assert "sts-secret-token" not in repr(signed)


def test_parse_authorization_round_trip() -> None:
    parsed = parse_authorization(VECTORS["minimal_ak"]["auth"])
    assert parsed is not None
    assert parsed.access_key_id == "testid"
    assert parsed.signed_names[0] == "host"
    assert parsed.signature == VECTORS["minimal_ak"]["sig"]
    assert parse_authorization("HMAC-SHA1 foo") is None
    assert parse_authorization("ACS3-HMAC-SHA256 Credential=x") is None


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), max_size=5))
def test_property_canonical_query_has_only_unreserved_or_escapes(params: dict[str, str]) -> None:
    query = canonical_query(params)
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%=&")
    assert set(query) <= allowed
    assert query.count("=") >= len(params)
