"""The slash-command grammar: what people type (often on a phone at 3 a.m.) -> a ``Query``.

Pure and table driven: every accepted word lives in one alias table per kind, so
the help text, the suggestions and the tests all read from the same place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._regions import REGIONS
from bot.names import COMMAND
from bot.query import DEFAULT_LIMIT, MAX_LIMIT, Action, Query, format_duration

# --- alias tables: the first word of each row is the canonical one -------------

STATE_WORDS: dict[JobState, tuple[str, ...]] = {
    JobState.FAILED: ("failed", "fail", "failure", "failures", "error", "errors", "errored"),
    JobState.FINISHED: (
        "finished",
        "finish",
        "done",
        "succeeded",
        "success",
        "successful",
        "complete",
        "completed",
    ),
    JobState.EXECUTING: ("executing", "running", "active", "processing", "inprogress"),
    JobState.CREATED: ("created", "queued", "pending", "waiting"),
}

TYPE_WORDS: dict[JobType, tuple[str, ...]] = {
    JobType.ASR: ("asr", "stt", "speechtotext", "transcription", "transcriptions"),
    JobType.TEXT_TO_SPEECH: ("tts", "texttospeech", "text-to-speech"),
    JobType.VIDEO_TRANSLATION: (
        "translation",
        "translations",
        "videotranslation",
        "video-translation",
        "translate",
    ),
    JobType.DYNAMIC_CHART: ("chart", "charts", "dynamicchart", "dynamic-chart"),
}

SORT_WORDS: dict[SortBy, tuple[str, ...]] = {
    SortBy.NEWEST: ("newest", "latest", "recent", "desc"),
    SortBy.OLDEST: ("oldest", "earliest", "asc"),
}

HELP_WORDS = ("help", "usage", "?")
DIGEST_WORDS = ("digest", "summary")
WATCH_WORDS = ("watch", "subscribe")
WATCHES_WORDS = ("watches", "subscriptions")
UNWATCH_WORDS = ("unwatch", "unsubscribe")
JOB_WORDS = ("job", "details")
_ACTION_WORDS = {
    **dict.fromkeys(DIGEST_WORDS, "digest"),
    **dict.fromkeys(WATCH_WORDS, "watch"),
    **dict.fromkeys(WATCHES_WORDS, "watches"),
    **dict.fromkeys(UNWATCH_WORDS, "unwatch"),
}
MAX_WATCH_NUMBER = 999
_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}", re.ASCII)

# key -> the kind it sets; `state:` and `status:` both set the state.
KEY_WORDS: dict[str, tuple[str, ...]] = {
    "state": ("state", "status"),
    "type": ("type", "kind"),
    "sort": ("sort", "order"),
    "limit": ("limit",),
    "since": ("since", "last"),
    "region": ("region",),
}


DURATION_UNITS: dict[str, int] = {  # minutes per unit
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "day", "days"), 24 * 60),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 24 * 60),
}
MAX_SINCE = timedelta(days=30)

_DEFAULT_REGION_EXAMPLE = "cn-beijing"

# --- derived lookups ------------------------------------------------------------

_EXAMPLES = {
    "state": "failed",
    "type": "asr",
    "sort": "oldest",
    "limit": "20",
    "since": "2h",
    "region": _DEFAULT_REGION_EXAMPLE,
}
_KIND_NAMES = {
    "state": "state",
    "type": "job type",
    "sort": "sort order",
    "limit": "page size",
    "since": "time window",
    "region": "region",
}


def _invert(table: dict[Any, tuple[str, ...]]) -> dict[str, Any]:
    return {alias: value for value, aliases in table.items() for alias in aliases}


_STATES: dict[str, JobState] = _invert(STATE_WORDS)
_TYPES: dict[str, JobType] = _invert(TYPE_WORDS)
_SORTS: dict[str, SortBy] = _invert(SORT_WORDS)
_KEYS: dict[str, str] = _invert(KEY_WORDS)

# Bare words: (kind, value). Tables must not overlap, or a word would mean two things.
_BARE: dict[str, tuple[str, Any]] = {
    **{w: ("state", v) for w, v in _STATES.items()},
    **{w: ("type", v) for w, v in _TYPES.items()},
    **{w: ("sort", v) for w, v in _SORTS.items()},
}
assert len(_BARE) == len(_STATES) + len(_TYPES) + len(_SORTS), "alias tables overlap"

_BARE_WORDS = {*_BARE, *HELP_WORDS, *_ACTION_WORDS, *JOB_WORDS}

_QUOTES = "\"'`‘’‚‛“”„‟«»‹›「」『』"
_DASHES = "‐‑‒–—―−﹘﹣－"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_TRANSLATE = str.maketrans(
    {**dict.fromkeys(_QUOTES, " "), **dict.fromkeys(_DASHES, "-"), **dict.fromkeys(_INVISIBLE, "")}
)
_EDGE_PUNCT = ".,;!?…()[]{}<>*_~|/\\"
_KEY_ALTERNATIVES = "|".join(sorted(_KEYS, key=len, reverse=True))
# "limit: 20" -> "limit:20", but "state: type:asr" keeps its empty "state:".
_KEY_GAP = re.compile(
    rf"(?<![\w-])({_KEY_ALTERNATIVES})\s*([:=])(?!\s*(?:{_KEY_ALTERNATIVES})\s*[:=])\s*",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DURATION = re.compile(r"([0-9]{1,7})([a-z]+)", re.ASCII)
_REGION_SHAPE = re.compile(r"[a-z]{2}-[a-z]+(-[0-9]+)?", re.ASCII)
_MAX_SUGGEST_LEN = 40


def usage(prefix: str = COMMAND) -> str:
    """Three lines of usage for the surface that runs the grammar (``/smartjobs`` or a CLI)."""
    return (
        f"Usage: {prefix} [state] [type] [newest|oldest] [1-100] [since:2h] [region:cn-beijing]\n"
        f"  e.g. {prefix} failed asr   ·   {prefix} executing tts oldest 20   ·   "
        f"{prefix} since:2h failed\n"
        f"  {prefix} digest [since:24h]   ·   {prefix} help"
    )


USAGE = usage()


class FilterError(ValueError):
    """A message for the person who typed the text: names their word, suggests a fix."""

    def __init__(self, message: str, *, word: str | None = None, suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.word = word
        self.suggestion = suggestion

    def __str__(self) -> str:
        return self.message


# --- suggestions ----------------------------------------------------------------


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swapped pair costs one, as thumbs do."""
    before: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], before[j - 2] + 1)
        before, prev = prev, cur
    return prev[-1]


def _nearest(word: str, candidates: Iterable[tuple[str, str]]) -> str | None:
    """The closest candidate (compared, shown) within a length-scaled budget, else a prefix match."""
    word = word.casefold()
    if not word or len(word) > _MAX_SUGGEST_LEN:
        return None
    options = list(candidates)
    best: tuple[int, str] | None = None
    for compared, shown in options:
        size = max(len(word), len(compared))
        budget = 1 if size <= 4 else 2 if size <= 8 else 3
        d = _distance(word, compared)
        if d <= budget and (best is None or d < best[0]):
            best = (d, shown)
    if best is not None:
        return best[1]
    if len(word) >= 3:
        for compared, shown in options:
            if compared.startswith(word):
                return shown
    return None


def _shown(word: str) -> str:
    return word if len(word) <= _MAX_SUGGEST_LEN else word[: _MAX_SUGGEST_LEN - 1] + "…"


def _unknown(what: str, word: str, candidates: Iterable[tuple[str, str]]) -> FilterError:
    suggestion = _nearest(word, candidates)
    message = f'Unknown {what} "{_shown(word)}".'
    if suggestion is not None:
        message += f' Did you mean "{suggestion}"?'
    return FilterError(message, word=word, suggestion=suggestion)


def _same(words: Iterable[str]) -> list[tuple[str, str]]:
    return [(w, w) for w in words]


_BARE_CANDIDATES = [
    *_same(_BARE),
    *_same(HELP_WORDS[:2]),
    *_same(DIGEST_WORDS),
    *_same(WATCH_WORDS[:1] + WATCHES_WORDS[:1] + UNWATCH_WORDS[:1] + JOB_WORDS[:1]),
    *_same(REGIONS),
    *((k, f"{k}:") for k in _KEYS),
]
_REGION_CANDIDATES = [
    *_same(REGIONS),
    *((r.split("-", 1)[1], r) for r in REGIONS),
]


# --- values -------------------------------------------------------------------


def _is_duration(text: str) -> bool:
    match = _DURATION.fullmatch(text)
    return match is not None and match[2] in DURATION_UNITS


def _limit(text: str, typed: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise FilterError(
            f'Page size "{_shown(typed)}" is not a number: use 1–{MAX_LIMIT}, e.g. limit:20.',
            word=typed,
        )
    digits = text.lstrip("+-").lstrip("0") or "0"
    if text.startswith("-") or len(digits) > 3 or not 1 <= int(digits) <= MAX_LIMIT:
        raise FilterError(
            f'Page size "{_shown(typed)}" is out of range: pick 1–{MAX_LIMIT}.', word=typed
        )
    return int(digits)


def _since(text: str, typed: str) -> timedelta:
    match = _DURATION.fullmatch(text)
    if match is None or not _is_duration(text):
        raise FilterError(
            f'Time window "{_shown(typed)}" is not a duration: use e.g. since:90m, since:2h, since:7d.',
            word=typed,
        )
    value = timedelta(minutes=int(match[1]) * DURATION_UNITS[match[2]])
    if not value:
        raise FilterError(f'Time window "{_shown(typed)}" is empty: use at least 1m.', word=typed)
    if value > MAX_SINCE:
        raise FilterError(
            f'Time window "{_shown(typed)}" is too long: at most {format_duration(MAX_SINCE)}.',
            word=typed,
        )
    return value


ALL_REGIONS = "all"
"""``region:all``: every region the deployment names (``ICE_REGIONS``)."""


def _region(text: str, typed: str) -> str:
    if text in REGIONS or text == ALL_REGIONS:
        return text
    suggestion = _nearest(text, _REGION_CANDIDATES)
    if _REGION_SHAPE.fullmatch(text):
        message = f'ICE is not offered in region "{_shown(typed)}".'
    else:
        message = f'"{_shown(typed)}" is not a region name (like {_DEFAULT_REGION_EXAMPLE}).'
    if suggestion is not None:
        message += f' Did you mean "{suggestion}"?'
    else:
        message += " Regions: " + ", ".join(REGIONS) + "."
    raise FilterError(message, word=typed, suggestion=suggestion)


def region(text: str) -> str:
    """A region name as ``region:`` takes it (configuration uses it too), or FilterError."""
    return _region(text.strip().casefold(), text.strip())


def duration(text: str) -> timedelta:
    """A window as ``since:`` takes it (``90m``, ``2h``, ``7d``), or FilterError."""
    return _since(text.strip().casefold(), text.strip())


def _table(kind: str, table: dict[str, Any]) -> Callable[[str, str], Any]:
    def lookup(text: str, typed: str) -> Any:
        if text in table:
            return table[text]
        raise _unknown(_KIND_NAMES[kind], typed, _same(table))

    return lookup


_VALUES: dict[str, Callable[[str, str], Any]] = {
    "state": _table("state", _STATES),
    "type": _table("type", _TYPES),
    "sort": _table("sort", _SORTS),
    "limit": _limit,
    "since": _since,
    "region": _region,
}


# --- tokens ---------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Normalise phone-keyboard text and split it into words, keeping ``key:value`` together."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _KEY_GAP.sub(lambda m: m[1] + m[2], text)
    words = []
    for raw in re.split(r"[\s,;]+", text):
        if raw in HELP_WORDS:
            words.append(raw)
            continue
        word = raw.strip(_EDGE_PUNCT).lstrip(":=")
        if not _NUMBER.fullmatch(word):
            word = word.strip("-").strip(_EDGE_PUNCT)
        if word[-1:] in (":", "=") and word.rstrip(":=").casefold() in _BARE_WORDS:
            word = word.rstrip(":=")  # "failed:" is just "failed"; "stat:" stays a key
        parts = word.casefold().split("-")
        if len(parts) > 1 and word.casefold() not in _BARE and all(p in _BARE for p in parts):
            words.extend(word.split("-"))  # "failed—asr" typed without spaces
        elif word:
            words.append(word)
    return words


def _key_value(word: str) -> tuple[str, str] | None:
    """Split ``key:value`` / ``key=value`` at the first separator."""
    cut = min((i for i in (word.find(":"), word.find("=")) if i >= 0), default=-1)
    if cut < 0:
        return None
    key, value = word[:cut], word[cut + 1 :]
    return key, value


def _classify(word: str) -> tuple[str, Any, str]:
    """One word -> (kind, value, what the user typed for it)."""
    split = _key_value(word)
    if split is not None:
        key, value = split
        kind = _KEYS.get(key.casefold())
        if kind is None:
            suggestion = _nearest(key, ((k, f"{k}:") for k in _KEYS))
            message = f'Unknown filter "{_shown(key)}:".'
            if suggestion is not None:
                message += f' Did you mean "{suggestion}"?'
            raise FilterError(message, word=f"{key}:", suggestion=suggestion)
        if not value:
            raise FilterError(
                f'"{_shown(key)}:" needs a value, e.g. {kind}:{_EXAMPLES[kind]}.', word=f"{key}:"
            )
        return kind, _VALUES[kind](value.casefold(), value), word
    folded = word.casefold()
    if folded in _ACTION_WORDS:
        return "action", _ACTION_WORDS[folded], word
    if folded in _BARE:
        kind, value = _BARE[folded]
        return kind, value, word
    if _NUMBER.fullmatch(folded):
        return "limit", _limit(folded, word), word
    if _is_duration(folded):
        return "since", _since(folded, word), word
    if "-" in folded and (folded in REGIONS or _REGION_SHAPE.fullmatch(folded)):
        return "region", _region(folded, word), word
    raise _unknown("word", word, _BARE_CANDIDATES)


def parse(text: str) -> Query:
    """Text -> Query, or a FilterError that names the offending word (never anything else)."""
    if not isinstance(text, str):
        raise FilterError("Filters must be text.")
    words = _tokens(text)
    if any(w.casefold() in HELP_WORDS for w in words):
        return Query(action="help")  # help wins: whoever asks for it gets it, typos and all
    if words and words[0].casefold() in JOB_WORDS:
        return _job(words)
    if any(w.casefold() in UNWATCH_WORDS for w in words):
        return _unwatch(words)
    seen: dict[str, tuple[Any, str]] = {}
    for word in words:
        kind, value, typed = _classify(word)
        if kind in seen and seen[kind][0] != value:
            first = seen[kind][1]
            name = _KIND_NAMES.get(kind, kind)
            raise FilterError(
                f'Two {name}s: "{_shown(first)}" and "{_shown(typed)}". Pick one.', word=typed
            )
        seen.setdefault(kind, (value, typed))
    action: Action = seen["action"][0] if "action" in seen else "list"
    if action in _TAKES:
        allowed, what = _TAKES[action]
        extra = [typed for kind, (_, typed) in seen.items() if kind not in {"action", *allowed}]
        if extra:
            raise FilterError(f'"{action}" {what}, not "{_shown(extra[0])}".', word=extra[0])
    state = seen["state"][0] if "state" in seen else None
    if action == "watch" and state is None:
        state = JobState.FAILED  # what a channel wants to hear about
    return Query(
        action=action,
        state=state,
        job_type=seen["type"][0] if "type" in seen else None,
        sort=seen["sort"][0] if "sort" in seen else SortBy.NEWEST,
        limit=seen["limit"][0] if "limit" in seen else DEFAULT_LIMIT,
        since=seen["since"][0] if "since" in seen else None,
        region=seen["region"][0] if "region" in seen else None,
    )


_TAKES: dict[str, tuple[set[str], str]] = {
    "digest": ({"since", "region"}, "takes only since: and region:"),
    "watch": (
        {"state", "type", "region"},
        "takes a state, a type and region: (it hears of every new match, so since:, the "
        "order and a page size do not apply)",
    ),
    "watches": (set(), "lists this channel's watches and takes nothing else"),
}


def job_id(text: str) -> str:
    """A JobId as ICE's look (what ``job`` takes, what a Details control carries), or
    FilterError."""
    if not isinstance(text, str) or not _JOB_ID.fullmatch(text):
        shown = _shown(text) if isinstance(text, str) else "?"
        raise FilterError(f'"{shown}" is not a job id.', word=str(text)[:40])
    return text


def _job(words: list[str]) -> Query:
    """``job <JobId> [region:…]``: the id first, a region optionally after it."""
    where: str | None = None
    if len(words) == 3 and words[2].casefold().startswith("region:"):
        where = _region(words[2].casefold().removeprefix("region:"), words[2][7:])
        if where == ALL_REGIONS:
            where = None  # every region is what `job` tries without one
        words = words[:2]
    if len(words) != 2:
        raise FilterError(
            f'"{words[0]}" takes one job id, e.g. {COMMAND} job 88c6ca184c0e47098a5b665e2a126797.',
            word=words[0],
        )
    return Query(action="job", target=job_id(words[1]), region=where)


def _unwatch(words: list[str]) -> Query:
    rest = [w for w in words if w.casefold() not in UNWATCH_WORDS]
    if len(words) - len(rest) > 1 or len(rest) > 1:
        raise FilterError(
            f"Say which watch to remove: {COMMAND} unwatch 2 (its number in {COMMAND} watches), "
            f"or {COMMAND} unwatch all.",
            word=rest[-1] if rest else words[0],
        )
    if not rest:
        return Query(action="unwatch")
    target = rest[0].casefold()
    if target == "all":
        return Query(action="unwatch", target="all")
    if _NUMBER.fullmatch(target) and 1 <= int(target) <= MAX_WATCH_NUMBER:
        return Query(action="unwatch", target=str(int(target)))
    raise FilterError(
        f'"{_shown(rest[0])}" is not a watch: use its number in {COMMAND} watches, or "all".',
        word=rest[0],
    )


def format_query(query: Query) -> str:
    """The canonical short text of a query: echoed to users and carried by buttons."""
    if query.action == "help":
        return "help"
    if query.action in ("job", "unwatch"):
        where = f"region:{query.region}" if query.region else None
        return " ".join(p for p in (query.action, query.target, where) if p)
    parts: list[str] = [query.action] if query.action != "list" else []
    if query.state is not None:
        parts.append(STATE_WORDS[query.state][0])
    if query.job_type is not None:
        parts.append(TYPE_WORDS[query.job_type][0])
    if query.sort is not SortBy.NEWEST:
        parts.append(SORT_WORDS[query.sort][0])
    if query.limit != DEFAULT_LIMIT:
        parts.append(f"limit:{query.limit}")
    if query.since is not None:
        parts.append(f"since:{format_duration(query.since)}")
    if query.region is not None:
        parts.append(f"region:{query.region}")
    return " ".join(parts)


# --- help -----------------------------------------------------------------------


def help_text(prefix: str = COMMAND, *, plain: bool = False) -> str:
    """Every form with examples: Slack mrkdwn for ``/smartjobs``, plain text for a terminal."""

    def bold(text: str) -> str:
        return text if plain else f"*{text}*"

    def code(text: str) -> str:
        return text if plain else f"`{text}`"

    def row(words: tuple[str, ...]) -> str:
        first, *others = words
        return code(first) + (f" ({', '.join(others)})" if others else "")

    def rows(table: dict[Any, tuple[str, ...]]) -> str:
        return " · ".join(row(words) for words in table.values())

    bullet = "-" if plain else "•"
    examples = (
        ("failed asr", "the newest failed ASR jobs"),
        ("executing tts oldest 20", "20 running TTS jobs, oldest first"),
        ("since:2h failed", "everything that failed in the last 2 hours"),
        ("region:cn-beijing chart", "DynamicChart jobs in Beijing"),
        ("digest since:7d", "counts by type and state (default: last 24h)"),
    )
    lines = [
        f"{bold(prefix)}: list Alibaba Cloud ICE smart jobs, newest first. "
        "Words in any order, any case.",
        "",
        bold("Examples"),
        *(f"{bullet} {code(f'{prefix} {words}')}: {what}" for words, what in examples),
        "",
        f"{bold('State')}: {rows(STATE_WORDS)}, or {code('state:failed')}",
        f"{bold('Type')}: {rows(TYPE_WORDS)}, or {code('type:asr')}",
        f"{bold('Order')}: {rows(SORT_WORDS)}; newest is the default, or {code('sort:oldest')}",
        f"{bold('Page size')}: a number 1–{MAX_LIMIT} (default {DEFAULT_LIMIT}), "
        f"or {code('limit:20')}",
        f"{bold('Window')}: {code('since:90m')}, {code('since:2h')}, {code('since:7d')}, "
        f"{code('since:1w')} (1m to {format_duration(MAX_SINCE)}); a bare {code('2h')} works too",
        f"{bold('Region')}: {code('region:cn-beijing')}, one of {', '.join(REGIONS)} "
        f"(default: the bot's own), or {code('region:all')} for every region the team uses",
        f"{bold('Digest')}: {code('digest')} (summary) takes only {code('since:')} and "
        f"{code('region:')}",
        f"{bold('Help')}: {code('help')} (usage, ?) shows this, whatever else is typed",
        "",
        f"Keys: {code('key:value')} or {code('key=value')}; also {code('status:')}, "
        f"{code('kind:')}, {code('order:')}, {code('last:')}.",
        "Anything else is an error that names the word and suggests the nearest one.",
    ]
    return "\n".join(lines)


HELP_TEXT = help_text()
