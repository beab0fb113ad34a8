"""The slash-command grammar: every form and alias, every error, phone keyboards, and properties."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.filters import (
    DIGEST_WORDS,
    HELP_TEXT,
    HELP_WORDS,
    KEY_WORDS,
    SORT_WORDS,
    STATE_WORDS,
    TYPE_WORDS,
    USAGE,
    FilterError,
    format_query,
    help_text,
    parse,
    usage,
)
from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._regions import REGIONS as ICE_REGIONS
from bot.query import Query

FAILED, FINISHED, EXECUTING, CREATED = (
    JobState.FAILED,
    JobState.FINISHED,
    JobState.EXECUTING,
    JobState.CREATED,
)
ASR, TTS, VT, CHART = (
    JobType.ASR,
    JobType.TEXT_TO_SPEECH,
    JobType.VIDEO_TRANSLATION,
    JobType.DYNAMIC_CHART,
)


def _q(**fields: object) -> Query:
    return Query(**fields)  # type: ignore[arg-type]


# --- every alias --------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "state"),
    [(w, s) for s, words in STATE_WORDS.items() for w in words],
)
def test_every_state_alias_bare_and_keyed(word: str, state: JobState) -> None:
    assert parse(word) == _q(state=state)
    assert parse(word.upper()) == _q(state=state)
    assert parse(f"state:{word}") == _q(state=state)
    assert parse(f"status={word}") == _q(state=state)


@pytest.mark.parametrize(
    ("word", "job_type"),
    [(w, t) for t, words in TYPE_WORDS.items() for w in words],
)
def test_every_type_alias_bare_and_keyed(word: str, job_type: JobType) -> None:
    assert parse(word) == _q(job_type=job_type)
    assert parse(word.title()) == _q(job_type=job_type)
    assert parse(f"type:{word}") == _q(job_type=job_type)
    assert parse(f"kind={word}") == _q(job_type=job_type)


@pytest.mark.parametrize(
    ("word", "sort"),
    [(w, s) for s, words in SORT_WORDS.items() for w in words],
)
def test_every_sort_alias_bare_and_keyed(word: str, sort: SortBy) -> None:
    assert parse(word) == _q(sort=sort)
    assert parse(f"sort:{word}") == _q(sort=sort)
    assert parse(f"order={word.upper()}") == _q(sort=sort)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("failed", _q(state=FAILED)),
        ("done", _q(state=FINISHED)),
        ("running", _q(state=EXECUTING)),
        ("queued", _q(state=CREATED)),
        ("asr", _q(job_type=ASR)),
        ("texttospeech", _q(job_type=TTS)),
        ("videotranslation", _q(job_type=VT)),
        ("dynamicchart", _q(job_type=CHART)),
        ("newest", _q()),
        ("oldest", _q(sort=SortBy.OLDEST)),
        ("sort:desc", _q()),
        ("sort:asc", _q(sort=SortBy.OLDEST)),
        ("20", _q(limit=20)),
        ("1", _q(limit=1)),
        ("100", _q(limit=100)),
        ("007", _q(limit=7)),
        ("+5", _q(limit=5)),
        ("limit:20", _q(limit=20)),
        ("limit=50", _q(limit=50)),
        ("since:90m", _q(since=timedelta(minutes=90))),
        ("since:2h", _q(since=timedelta(hours=2))),
        ("since:7d", _q(since=timedelta(days=7))),
        ("since:1w", _q(since=timedelta(weeks=1))),
        ("since:30d", _q(since=timedelta(days=30))),
        ("since:1m", _q(since=timedelta(minutes=1))),
        ("since:45min", _q(since=timedelta(minutes=45))),
        ("since:3hours", _q(since=timedelta(hours=3))),
        ("since:2days", _q(since=timedelta(days=2))),
        ("last:24h", _q(since=timedelta(hours=24))),
        ("since=2h", _q(since=timedelta(hours=2))),
        ("2h", _q(since=timedelta(hours=2))),
        ("region:cn-beijing", _q(region="cn-beijing")),
        ("region=ap-southeast-1", _q(region="ap-southeast-1")),
        ("REGION:US-WEST-1", _q(region="us-west-1")),
        ("cn-shenzhen", _q(region="cn-shenzhen")),
        ("", _q()),
        ("   ", _q()),
        ("help", _q(action="help")),
        ("?", _q(action="help")),
        ("usage", _q(action="help")),
        ("digest", _q(action="digest")),
        ("summary", _q(action="digest")),
        ("digest since:7d", _q(action="digest", since=timedelta(days=7))),
        ("digest region:cn-hangzhou", _q(action="digest", region="cn-hangzhou")),
        ("digest 24h", _q(action="digest", since=timedelta(hours=24))),
        (
            "executing tts oldest 20",
            _q(state=EXECUTING, job_type=TTS, sort=SortBy.OLDEST, limit=20),
        ),
        ("since:2h failed", _q(state=FAILED, since=timedelta(hours=2))),
        ("ASR FAILED", _q(state=FAILED, job_type=ASR)),
        (
            "region:cn-shanghai 5 chart created oldest since:15m",
            _q(
                state=CREATED,
                job_type=CHART,
                sort=SortBy.OLDEST,
                limit=5,
                since=timedelta(minutes=15),
                region="cn-shanghai",
            ),
        ),
    ],
)
def test_forms(text: str, expected: Query) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "failed failed",
        "failed fail errors",
        "state:failed failed",
        "20 limit:20",
        "since:2h since:120m",
        "oldest asc sort:oldest",
        "region:cn-beijing cn-beijing",
    ],
)
def test_the_same_thing_twice_is_fine(text: str) -> None:
    first = parse(text.split()[0])
    assert parse(text) == first


# --- help and digest ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "help",
        "HELP",
        "help failed",
        "failed help",
        "faild help",
        "help limit:500",
        "--help",
        "—help",
    ],
)
def test_help_wins_over_everything(text: str) -> None:
    assert parse(text) == _q(action="help")


def test_a_key_named_help_is_not_help() -> None:
    with pytest.raises(FilterError) as info:
        parse("state:help")
    assert info.value.word == "help"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("digest failed", "failed"),
        ("digest asr", "asr"),
        ("digest oldest", "oldest"),
        ("digest newest", "newest"),
        ("digest 20", "20"),
        ("limit:5 digest", "limit:5"),
    ],
)
def test_digest_takes_only_since_and_region(text: str, word: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.word == word
    assert f'"{word}"' in info.value.message
    assert "digest" in info.value.message


# --- phone keyboards --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Failed” ASR.", _q(state=FAILED, job_type=ASR)),
        ("‘failed’ ‘asr’", _q(state=FAILED, job_type=ASR)),
        ('"failed" asr', _q(state=FAILED, job_type=ASR)),
        ("Failed — asr", _q(state=FAILED, job_type=ASR)),
        ("Failed – asr", _q(state=FAILED, job_type=ASR)),
        ("failed—asr", _q(state=FAILED, job_type=ASR)),
        ("failed-asr", _q(state=FAILED, job_type=ASR)),
        ("since:2h,", _q(since=timedelta(hours=2))),
        ("failed. asr!", _q(state=FAILED, job_type=ASR)),
        ("asr, failed;", _q(state=FAILED, job_type=ASR)),
        ("failed, asr,20", _q(state=FAILED, job_type=ASR, limit=20)),
        ("Failed asr?", _q(state=FAILED, job_type=ASR)),
        ("failed… asr…", _q(state=FAILED, job_type=ASR)),
        ("(failed) [asr]", _q(state=FAILED, job_type=ASR)),
        ("*failed* _asr_", _q(state=FAILED, job_type=ASR)),
        ("`failed` ~asr~", _q(state=FAILED, job_type=ASR)),
        ("  failed\u00a0\u00a0asr\t\n", _q(state=FAILED, job_type=ASR)),
        ("fai\u200bled asr", _q(state=FAILED, job_type=ASR)),
        ("ＦＡＩＬＥＤ ａｓｒ", _q(state=FAILED, job_type=ASR)),
        ("failed ２０", _q(state=FAILED, limit=20)),
        ("limit: 20", _q(limit=20)),
        ("limit : 20", _q(limit=20)),
        ("Limit:20.", _q(limit=20)),
        ("state: “failed”", _q(state=FAILED)),
        ("state：failed", _q(state=FAILED)),
        ("since: 2h failed", _q(state=FAILED, since=timedelta(hours=2))),
        ("region:cn—beijing", _q(region="cn-beijing")),
        ("region:cn–beijing", _q(region="cn-beijing")),
        ("region: “cn-beijing”", _q(region="cn-beijing")),
        ("failed:", _q(state=FAILED)),
        ("—failed", _q(state=FAILED)),
        ("failed -", _q(state=FAILED)),
        ("Text-to-Speech", _q(job_type=TTS)),
        ("text—to—speech", _q(job_type=TTS)),
    ],
)
def test_phone_keyboard_tolerance(text: str, expected: Query) -> None:
    assert parse(text) == expected


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word", "suggestion"),
    [
        ("faild", "faild", "failed"),
        ("Faild asr", "Faild", "failed"),
        ("failed asr faild", "faild", "failed"),
        ("finishd", "finishd", "finished"),
        ("exectuing", "exectuing", "executing"),
        ("exec", "exec", "executing"),
        ("runing", "runing", "running"),
        ("qeued", "qeued", "queued"),
        ("ars", "ars", "asr"),
        ("tss", "tss", "tts"),
        ("translaton", "translaton", "translation"),
        ("chrt", "chrt", "chart"),
        ("olderst", "olderst", "oldest"),
        ("newst", "newst", "newest"),
        ("hepl", "hepl", "help"),
        ("digets", "digets", "digest"),
        ("regoin", "regoin", "region:"),
        ("xyzzy", "xyzzy", None),
        ("jobs", "jobs", "job"),
        ("a", "a", None),
        ("asr 🔥", "🔥", None),
        ("state:faild", "faild", "failed"),
        ("type:tss", "tss", "tts"),
        ("sort:oldst", "oldst", "oldest"),
        ("state:asr", "asr", None),
        ("type:failed", "failed", None),
        ("region:cn-bejing", "cn-bejing", "cn-beijing"),
        ("region:cn_beijing", "cn_beijing", "cn-beijing"),
        ("region:beijing", "beijing", "cn-beijing"),
        ("region:hangzhou", "hangzhou", "cn-hangzhou"),
        ("region:ap-southeast-2", "ap-southeast-2", "ap-southeast-1"),
        ("region:mars", "mars", None),
        ("cn-shanghia", "cn-shanghia", "cn-shanghai"),
    ],
)
def test_unknown_words_are_named_with_the_nearest_suggestion(
    text: str, word: str, suggestion: str | None
) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    error = info.value
    assert error.word == word
    assert error.suggestion == suggestion
    assert f'"{word}"' in error.message
    assert str(error) == error.message
    if suggestion is None:
        assert "Did you mean" not in error.message
    else:
        assert error.message.endswith(f'Did you mean "{suggestion}"?')


def test_error_message_reads_naturally() -> None:
    with pytest.raises(FilterError) as info:
        parse("faild")
    assert str(info.value) == 'Unknown word "faild". Did you mean "failed"?'


@pytest.mark.parametrize(
    ("text", "word", "suggestion"),
    [
        ("stat:failed", "stat:", "state:"),
        ("stat:", "stat:", "state:"),
        ("typ:asr", "typ:", "type:"),
        ("sortt=oldest", "sortt:", "sort:"),
        ("limt:20", "limt:", "limit:"),
        ("snce:2h", "snce:", "since:"),
        ("regon:cn-beijing", "regon:", "region:"),
        ("foo:bar", "foo:", None),
        ("https://example.com", "https:", None),
    ],
)
def test_unknown_keys(text: str, word: str, suggestion: str | None) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.word == word
    assert info.value.suggestion == suggestion
    assert f'"{word}"' in info.value.message


@pytest.mark.parametrize(
    "key", [alias for aliases in KEY_WORDS.values() for alias in aliases] + ["STATE", "Region"]
)
def test_empty_values_are_errors(key: str) -> None:
    for text in (f"{key}:", f"{key}=", f"asr {key}:", f"{key}: "):
        with pytest.raises(FilterError) as info:
            parse(text)
        assert info.value.word == f"{key}:"
        assert "needs a value" in info.value.message


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("state: type:asr", "state:"),
        ("asr limit: since:2h", "limit:"),
        ("Region= sort:asc", "Region:"),
    ],
)
def test_an_empty_value_does_not_swallow_the_next_filter(text: str, word: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.word == word
    assert "needs a value" in info.value.message


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("failed done", "done"),
        ("state:failed state:finished", "state:finished"),
        ("asr tts", "tts"),
        ("chart type:asr", "type:asr"),
        ("newest oldest", "oldest"),
        ("sort:asc desc", "desc"),
        ("10 20", "20"),
        ("limit:5 limit:6", "limit:6"),
        ("since:2h since:3h", "since:3h"),
        ("2h 1d", "1d"),
        ("region:cn-beijing region:cn-hangzhou", "region:cn-hangzhou"),
    ],
)
def test_conflicts_name_the_second_word(text: str, word: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.word == word
    first = text.split()[0]
    assert f'"{first}"' in info.value.message
    assert f'"{word}"' in info.value.message
    assert "Pick one" in info.value.message


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("0", "0"),
        ("101", "101"),
        ("500", "500"),
        ("-5", "-5"),
        ("-0", "-0"),
        ("9" * 5000, "9" * 5000),
        ("limit:0", "0"),
        ("limit:1000", "1000"),
        ("limit:abc", "abc"),
        ("limit:2.5", "2.5"),
        ("limit:٣", "٣"),
    ],
)
def test_page_size_out_of_range(text: str, word: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.word == word
    assert "1–100" in info.value.message
    assert len(info.value.message) < 200


@pytest.mark.parametrize(
    ("text", "word", "reason"),
    [
        ("since:0m", "0m", "empty"),
        ("since:0d", "0d", "empty"),
        ("since:31d", "31d", "too long"),
        ("since:5w", "5w", "too long"),
        ("since:43201m", "43201m", "too long"),
        ("since:9999999h", "9999999h", "too long"),
        ("since:2", "2", "not a duration"),
        ("since:2x", "2x", "not a duration"),
        ("since:1.5h", "1.5h", "not a duration"),
        ("since:h", "h", "not a duration"),
        ("since:-2h", "-2h", "not a duration"),
        ("since:2h30m", "2h30m", "not a duration"),
        ("0h", "0h", "empty"),
        ("60d", "60d", "too long"),
    ],
)
def test_bad_windows(text: str, word: str, reason: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.word == word
    assert reason in info.value.message


@pytest.mark.parametrize("region", ["eu-west-1", "cn-qingdao", "us-east-1"])
def test_well_formed_regions_without_ice_are_refused(region: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(f"region:{region}")
    assert info.value.word == region
    assert "not offered" in info.value.message


def test_a_region_error_without_a_suggestion_lists_the_regions() -> None:
    with pytest.raises(FilterError) as info:
        parse("region:zz-nowhere")
    assert info.value.suggestion is None
    assert all(region in info.value.message for region in ICE_REGIONS)


def test_very_long_words_are_shortened_in_the_message() -> None:
    word = "x" * 5000
    with pytest.raises(FilterError) as info:
        parse(word)
    assert info.value.word == word
    assert len(info.value.message) < 100


def test_non_text_is_a_filter_error() -> None:
    with pytest.raises(FilterError):
        parse(None)  # type: ignore[arg-type]


# --- the tables themselves ----------------------------------------------------------


def _all_bare_words() -> list[str]:
    return [
        w
        for table in (STATE_WORDS, TYPE_WORDS, SORT_WORDS)
        for words in table.values()
        for w in words
    ]


def test_aliases_are_unique_and_lowercase() -> None:
    words = [*_all_bare_words(), *HELP_WORDS, *DIGEST_WORDS]
    assert len(words) == len(set(words))
    assert all(w == w.lower() for w in words)
    keys = [k for aliases in KEY_WORDS.values() for k in aliases]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(words)


def test_every_enum_member_has_words() -> None:
    assert set(STATE_WORDS) == set(JobState)
    assert set(TYPE_WORDS) == set(JobType)
    assert set(SORT_WORDS) == set(SortBy)


def test_help_text_mentions_every_alias_and_key() -> None:
    for word in [*_all_bare_words(), *DIGEST_WORDS, "help"]:
        assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", HELP_TEXT), word
    for key in (k for aliases in KEY_WORDS.values() for k in aliases):
        assert f"{key}:" in HELP_TEXT, key
    for region in ICE_REGIONS:
        assert region in HELP_TEXT


def test_every_help_example_parses() -> None:
    examples = re.findall(r"`/smartjobs ([^`]*)`", HELP_TEXT)
    assert len(examples) >= 4
    for example in examples:
        assert parse(example).action in {"list", "digest"}
    for example in re.findall(r"/smartjobs ([a-z0-9: ]+?)(?=\s{2,}|$)", USAGE, re.MULTILINE):
        parse(example)


def test_usage_is_short() -> None:
    assert 3 <= len(USAGE.splitlines()) <= 5
    assert all(len(line) <= 110 for line in USAGE.splitlines())


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (_q(), ""),
        (_q(state=FAILED, job_type=ASR), "failed asr"),
        (
            _q(
                state=EXECUTING,
                job_type=TTS,
                sort=SortBy.OLDEST,
                limit=20,
                since=timedelta(minutes=90),
                region="cn-beijing",
            ),
            "executing tts oldest limit:20 since:90m region:cn-beijing",
        ),
        (_q(action="help"), "help"),
        (_q(action="digest", since=timedelta(days=7)), "digest since:7d"),
    ],
)
def test_format_query_is_canonical(query: Query, text: str) -> None:
    assert format_query(query) == text
    assert parse(text) == query


# --- properties ---------------------------------------------------------------

_states = st.none() | st.sampled_from(list(JobState))
_types = st.none() | st.sampled_from(list(JobType))
_sinces = st.none() | st.integers(1, 30 * 24 * 60).map(lambda m: timedelta(minutes=m))
_regions = st.none() | st.sampled_from(ICE_REGIONS)

valid_list_queries = st.builds(
    Query,
    action=st.just("list"),
    state=_states,
    job_type=_types,
    sort=st.sampled_from(list(SortBy)),
    limit=st.integers(1, 100),
    since=_sinces,
    region=_regions,
)
valid_queries = st.one_of(
    valid_list_queries,
    st.builds(Query, action=st.just("digest"), since=_sinces, region=_regions),
    st.just(Query(action="help")),
)

_VOCABULARY = [
    *_all_bare_words(),
    *HELP_WORDS,
    *DIGEST_WORDS,
    *ICE_REGIONS,
    *(f"{k}:" for aliases in KEY_WORDS.values() for k in aliases),
    *(f"{k}=" for aliases in KEY_WORDS.values() for k in aliases),
    "0",
    "7",
    "100",
    "101",
    "-3",
    "2h",
    "0m",
    "31d",
    "“",
    "”",
    "—",
    "–",
    ",",
    ".",
    ":",
    "=",
    "\u00a0",
    "\u200b",
    "faild",
    "cn-bejing",
    "stat:",
    " ",
    "  ",
]


def _outcome(text: str) -> Query | FilterError:
    """parse(), with the one allowed exception turned into a value; anything else propagates."""
    try:
        return parse(text)
    except FilterError as error:
        return error


@given(st.text())
def test_property_arbitrary_text_only_raises_filter_error(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, FilterError):
        assert outcome.message
        assert str(outcome) == outcome.message
    else:
        assert parse(format_query(outcome)) == outcome


@given(st.lists(st.sampled_from(_VOCABULARY) | st.text(max_size=4), max_size=8))
def test_property_vocabulary_soup_only_raises_filter_error(pieces: list[str]) -> None:
    outcome = _outcome("".join(pieces))
    if isinstance(outcome, FilterError):
        assert outcome.message
    else:
        assert 1 <= outcome.limit <= 100
        assert outcome.region is None or outcome.region in ICE_REGIONS
        assert parse(format_query(outcome)) == outcome


@given(valid_queries)
def test_property_format_query_round_trips(query: Query) -> None:
    text = format_query(query)
    assert parse(text) == query
    assert format_query(parse(text)) == text


def _tokens_for(query: Query, draw: st.DrawFn) -> list[str]:
    """Some way a person could type each field of ``query``."""

    def keyed(keys: tuple[str, ...], value: str) -> str:
        return f"{draw(st.sampled_from(keys))}{draw(st.sampled_from([':', '=', ': ']))}{value}"

    tokens = []
    if query.action == "digest":
        tokens.append(draw(st.sampled_from(DIGEST_WORDS)))
    if query.state is not None:
        word = draw(st.sampled_from(STATE_WORDS[query.state]))
        tokens.append(draw(st.sampled_from([word, keyed(KEY_WORDS["state"], word)])))
    if query.job_type is not None:
        word = draw(st.sampled_from(TYPE_WORDS[query.job_type]))
        tokens.append(draw(st.sampled_from([word, keyed(KEY_WORDS["type"], word)])))
    if query.sort is SortBy.OLDEST or draw(st.booleans()):
        word = draw(st.sampled_from(SORT_WORDS[query.sort]))
        if query.action == "list":
            tokens.append(draw(st.sampled_from([word, keyed(KEY_WORDS["sort"], word)])))
    if query.limit != 10 or (query.action == "list" and draw(st.booleans())):
        number = str(query.limit)
        tokens.append(draw(st.sampled_from([number, keyed(KEY_WORDS["limit"], number)])))
    if query.since is not None:
        minutes = int(query.since.total_seconds() // 60)
        units = [
            (u, n) for u, n in [("m", 1), ("h", 60), ("d", 1440), ("w", 10080)] if minutes % n == 0
        ]
        unit, size = draw(st.sampled_from(units))
        duration = f"{minutes // size}{unit}"
        tokens.append(draw(st.sampled_from([duration, keyed(KEY_WORDS["since"], duration)])))
    if query.region is not None:
        tokens.append(
            draw(st.sampled_from([query.region, keyed(KEY_WORDS["region"], query.region)]))
        )
    return tokens


@st.composite
def typed_queries(draw: st.DrawFn) -> tuple[Query, str]:
    query = draw(st.one_of(valid_list_queries, valid_queries.filter(lambda q: q.action != "help")))
    tokens = _tokens_for(query, draw)
    tokens = draw(st.permutations(tokens))
    cased = [draw(st.sampled_from([t, t.upper(), t.title(), t.capitalize()])) for t in tokens]
    phone = draw(st.booleans())
    if cased and phone:  # a phone capitalises the first word and adds punctuation
        cased[0] = cased[0].capitalize()
        cased[-1] = cased[-1] + draw(st.sampled_from([".", "!", ",", "?", "…"]))
    separators = [" ", "  ", ", ", " — ", "\u00a0", "\t", "; "]
    text = ""
    for token in cased:
        quote = draw(st.sampled_from([("", ""), ("“", "”"), ("‘", "’"), ('"', '"')]))
        if ":" in token or "=" in token:
            quote = ("", "")
        text += f"{quote[0]}{token}{quote[1]}{draw(st.sampled_from(separators))}"
    return query, text


@given(typed_queries())
def test_property_valid_tokens_in_any_order_and_case_parse(case: tuple[Query, str]) -> None:
    query, text = case
    assert parse(text) == query


@given(valid_list_queries, st.sampled_from(_all_bare_words()))
def test_property_repeating_a_word_changes_nothing(query: Query, word: str) -> None:
    text = format_query(query)
    doubled = f"{text} {text}"
    assert parse(doubled) == query
    assert parse(f"{word} {word}") == parse(word)


def test_usage_and_help_name_the_surface_and_the_terminal_gets_no_markup() -> None:
    terminal = usage("smartjobs query")
    assert terminal.startswith("Usage: smartjobs query [state]")
    assert "/smartjobs" not in terminal
    assert USAGE.startswith("Usage: /smartjobs [state]")
    plain = help_text("smartjobs query", plain=True)
    assert "/smartjobs" not in plain
    assert not {"*", "`", "•"} & set(plain), "no Slack markup in the terminal"
    assert "smartjobs query failed asr: the newest failed ASR jobs" in plain
    assert "`/smartjobs failed asr`" in HELP_TEXT and "*Examples*" in HELP_TEXT
