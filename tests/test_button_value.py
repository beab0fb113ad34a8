"""Button values: compact, round-tripping, and suspicious of whatever the client sends back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.button_value import MAX_VALUE_LENGTH, ButtonValueError, decode, encode, show_failed
from bot.filters import format_query
from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._regions import REGIONS as ICE_REGIONS
from bot.query import Query

FAILED_ASR = Query(state=JobState.FAILED, job_type=JobType.ASR)
TOKEN = "eyJvZmZzZXQiOjEwfQ=="

_sinces = st.none() | st.integers(1, 30 * 24 * 60).map(lambda m: timedelta(minutes=m))
_regions = st.none() | st.sampled_from(ICE_REGIONS)
list_queries = st.builds(
    Query,
    action=st.just("list"),
    state=st.none() | st.sampled_from(list(JobState)),
    job_type=st.none() | st.sampled_from(list(JobType)),
    sort=st.sampled_from(list(SortBy)),
    limit=st.integers(1, 100),
    since=_sinces,
    region=_regions,
)
digest_queries = st.builds(Query, action=st.just("digest"), since=_sinces, region=_regions)
tokens = st.text(min_size=1, max_size=1000)


def _raw(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


# --- encoding ---------------------------------------------------------------------


def test_encode_is_compact_json() -> None:
    assert encode(FAILED_ASR, TOKEN) == '{"q":"failed asr","t":"eyJvZmZzZXQiOjEwfQ=="}'
    assert encode(Query()) == '{"q":""}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"q":"failed asr"}', (FAILED_ASR, None)),
        ('{"v":1,"q":"failed asr","t":"x"}', (FAILED_ASR, "x")),
        (
            '{"q": "state:failed type:asr limit:2", "t": null}',
            (Query(state=JobState.FAILED, job_type=JobType.ASR, limit=2), None),
        ),
    ],
)
def test_decode_hand_written_values(value: str, expected: tuple[Query, str | None]) -> None:
    assert decode(value)[:2] == expected


@pytest.mark.parametrize(
    ("query", "token"),
    [
        (Query(), None),
        (FAILED_ASR, TOKEN),
        (FAILED_ASR, "a" * 1900),
        (Query(sort=SortBy.OLDEST, limit=100, region="us-west-1"), "x"),
        (Query(since=timedelta(days=30)), 'quote"and\\backslash'),
        (FAILED_ASR, "has space"),
        (FAILED_ASR, "tab\there and ünïcode 🚀"),
        (Query(action="digest", since=timedelta(hours=24), region="cn-beijing"), None),
    ],
)
def test_round_trip(query: Query, token: str | None) -> None:
    value = encode(query, token)
    assert len(value) <= MAX_VALUE_LENGTH
    assert decode(value)[:2] == (query, token)


def test_an_empty_token_means_no_token() -> None:
    assert decode(encode(FAILED_ASR, ""))[:2] == (FAILED_ASR, None)


@pytest.mark.parametrize(
    ("query", "token", "message"),
    [
        (FAILED_ASR, "a" * 2000, "too long"),
        (Query(action="digest"), TOKEN, "pages"),
        (Query(action="help"), None, "cannot go on a button"),
        (Query(limit=0), None, "1–100"),
        (Query(limit=101), None, "1–100"),
        (Query(region="eu-west-1"), None, "eu-west-1"),
        (Query(since=timedelta(days=31)), None, "too long"),
        (Query(since=timedelta(seconds=30)), None, "cannot go on a button"),
        (Query(action="digest", state=JobState.FAILED), None, "digest"),
        (Query(action="help", state=JobState.FAILED), None, "cannot go on a button"),
    ],
)
def test_encode_refuses_what_decode_would_refuse(
    query: Query, token: str | None, message: str
) -> None:
    with pytest.raises(ButtonValueError) as info:
        encode(query, token)
    assert message in str(info.value)


# --- decoding untrusted values ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        "null",
        "[]",
        '"failed asr"',
        "{}",
        "{",
        '{"v":1}',
        '{"v":1,"q":null}',
        '{"v":1,"q":5}',
        '{"v":1,"q":["failed"]}',
        '{"v":2,"q":"failed"}',
        '{"v":null,"q":"failed"}',
        '{"v":true,"q":"failed"}',
        '{"v":1.0,"q":"failed"}',
        '{"v":"1","q":"failed"}',
        '{"v":1,"q":"failed","x":1}',
        '{"v":1,"q":"failed","t":5}',
        '{"v":1,"q":"failed","t":""}',
        '{"v":1,"q":"digest","p":2}',
        '{"v":1,"q":"failed","t":["x"]}',
        '{"v":1,"q":"faild"}',
        '{"v":1,"q":"limit:0"}',
        '{"v":1,"q":"limit:101"}',
        '{"v":1,"q":"limit:100000"}',
        '{"v":1,"q":"region:eu-west-1"}',
        '{"v":1,"q":"region:ice.evil.example"}',
        '{"v":1,"q":"since:365d"}',
        '{"v":1,"q":"help"}',
        '{"v":1,"q":"digest","t":"abc"}',
        '{"v":1,"q":"\\ud800"}',
        '{"v":1,"q":"' + "failed " * 40 + '"}',
        "[" * 1999,
        "{" * 1999,
        '{"v":1,"q":"failed"}' + " " * 2000,
        json.dumps({"v": 1, "q": "failed", "t": "a" * 1990}),
        "NaN",
        '{"v":1e999,"q":"failed"}',
        "\x00",
        "\udcff",
    ],
)
def test_decode_rejects_tampered_values(value: str) -> None:
    with pytest.raises(ButtonValueError) as info:
        decode(value)
    assert str(info.value)
    assert "/smartjobs" in str(info.value) or "not valid" in str(info.value)


@pytest.mark.parametrize("value", [None, 5, b'{"v":1,"q":""}', {"v": 1, "q": ""}])
def test_decode_rejects_non_strings(value: object) -> None:
    with pytest.raises(ButtonValueError):
        decode(value)  # type: ignore[arg-type]


def test_decode_names_the_bad_filter() -> None:
    with pytest.raises(ButtonValueError) as info:
        decode(_raw({"v": 1, "q": "failed region:eu-west-1"}))
    assert "eu-west-1" in str(info.value)


def test_decode_accepts_any_spelling_the_grammar_accepts() -> None:
    value = _raw({"v": 1, "q": "“Done” TTS, limit: 5", "t": "n"})
    assert decode(value)[:2] == (
        Query(state=JobState.FINISHED, job_type=JobType.TEXT_TO_SPEECH, limit=5),
        "n",
    )


def test_every_prefix_of_a_value_is_rejected() -> None:
    value = encode(FAILED_ASR, TOKEN)
    for end in range(len(value)):
        with pytest.raises(ButtonValueError):
            decode(value[:end])


def _outcome(value: str) -> tuple[Query, str | None] | ButtonValueError:
    """decode(), with the one allowed exception turned into a value; anything else propagates."""
    try:
        return decode(value)
    except ButtonValueError as error:
        return error


# --- properties -------------------------------------------------------------------


@given(st.one_of(list_queries, digest_queries), st.none() | tokens)
def test_property_encode_decode_round_trips(query: Query, token: str | None) -> None:
    if query.action == "digest":
        token = None
    value = encode(query, token)
    assert len(value) <= MAX_VALUE_LENGTH
    assert decode(value)[:2] == (query, token)


@given(list_queries, st.text(min_size=1, max_size=3000), st.integers(2, 500))
def test_property_any_next_token_leads_to_the_next_page(
    query: Query, token: str, page: int
) -> None:
    """Any token fits on the button, or the button asks for the page by number instead."""
    value = encode(query, token, page)
    assert len(value) <= MAX_VALUE_LENGTH
    decoded = decode(value)
    assert (decoded.query, decoded.page) == (query, page)
    if len(_raw({"q": format_query(query), "p": page, "t": token})) <= MAX_VALUE_LENGTH:
        assert decoded.token == token and not decoded.by_number
    else:
        assert decoded.token is None and decoded.by_number


@given(st.text())
def test_property_decode_arbitrary_strings_raises_only_button_value_error(value: str) -> None:
    outcome = _outcome(value)
    if not isinstance(outcome, ButtonValueError):
        query, token, page = outcome[:3]
        assert 1 <= query.limit <= 100
        assert token is None or (isinstance(token, str) and token)
        assert decode(encode(query, token, page)) == outcome


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(["v", "q", "t", "x"]),
        _json | st.sampled_from([1, "failed asr", "limit:500", "region:eu-west-1", "abc"]),
    )
)
def test_property_decode_json_shapes_raises_only_button_value_error(
    payload: dict[str, object],
) -> None:
    value = json.dumps(payload)
    outcome = _outcome(value)
    if not isinstance(outcome, ButtonValueError):
        query, token, _ = outcome[:3]
        assert payload.get("v", 1) == 1
        assert query.region is None or query.region in ICE_REGIONS
        assert token == payload.get("t")


@given(
    list_queries,
    tokens,
    st.data(),
)
def test_property_tampered_or_truncated_values_decode_or_raise_cleanly(
    query: Query, token: str, data: st.DataObject
) -> None:
    value = encode(query, token)
    kind = data.draw(st.sampled_from(["truncate", "replace", "insert", "pad"]))
    at = data.draw(st.integers(0, len(value)))
    if kind == "truncate":
        tampered = value[:at]
    elif kind == "replace":
        tampered = value[:at] + data.draw(st.characters()) + value[at + 1 :]
    elif kind == "insert":
        tampered = value[:at] + data.draw(st.text(min_size=1, max_size=5)) + value[at:]
    else:
        tampered = value + " " * (MAX_VALUE_LENGTH + 1 - len(value))
    try:
        decoded_query, decoded_token, _ = decode(tampered)[:3]
    except ButtonValueError:
        assert tampered != value
    else:
        assert 1 <= decoded_query.limit <= 100
        assert decoded_query.region is None or decoded_query.region in ICE_REGIONS
        assert encode(decoded_query, decoded_token)  # whatever decodes can be re-encoded


@given(
    st.sampled_from(
        ["region:eu-west-1", "region:cn-qingdao", "limit:0", "limit:101", "101", "since:0m"]
    ),
    st.sampled_from(["", "failed ", "asr oldest "]),
)
def test_property_out_of_bounds_queries_are_refused(bad: str, prefix: str) -> None:
    with pytest.raises(ButtonValueError):
        decode(_raw({"v": 1, "q": prefix + bad}))


def test_page_number_round_trips_and_is_bounded() -> None:
    value = encode(FAILED_ASR, "tok", page=3)
    assert decode(value)[:3] == (FAILED_ASR, "tok", 3)
    assert decode(encode(FAILED_ASR)).page == 1
    assert '"p"' not in encode(FAILED_ASR, "tok", page=1)
    for bad in (0, -1, "2", 2.0, True, 10_001):
        with pytest.raises(ButtonValueError):
            decode(_raw({"q": "failed asr", "t": "tok", "p": bad}))
    with pytest.raises(ButtonValueError):
        encode(FAILED_ASR, "tok", page=0)


def test_a_window_end_and_where_the_scan_resumes_round_trip() -> None:
    until = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)
    window = Query(state=JobState.FAILED, since=timedelta(hours=24), until=until)
    value = encode(window, None, 3, ice_page=4, skip=17)
    decoded = decode(value)
    assert decoded == (window, None, 3, 4, 17, None)
    assert decoded.query.describe() == "Failed jobs, 24 h to 5 Nov 01:00 UTC"
    assert show_failed(timedelta(hours=24), None, until=until) == encode(window)


@pytest.mark.parametrize(
    "payload",
    [
        {"q": "failed", "u": 1_800_000_000},  # an end without a window
        {"q": "failed since:24h", "u": 12},  # the year 1970: tampered
        {"q": "failed since:24h", "u": "1800000000"},
        {"q": "failed since:24h", "u": 1_800_000_000, "k": 100},
        {"q": "failed since:24h", "u": 1_800_000_000, "i": 0},
        {"q": "failed since:24h", "i": 2},  # resuming needs a window end
        {"q": "failed since:24h", "u": 1_800_000_000, "k": True},
    ],
)
def test_window_values_are_checked(payload: dict[str, object]) -> None:
    with pytest.raises(ButtonValueError):
        decode(_raw(payload))
