"""Block Kit and plain-text rendering of a page, help, errors and notices (pure)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._models import SmartJobPage
from bot.names import ACTION_NEXT, ACTION_REFRESH, ACTION_SHARE
from bot.query import Query
from bot.render import (
    Message,
    PageView,
    render_error,
    render_help,
    render_notice,
    render_page,
    render_page_text,
)
from bot.render._mrkdwn import clean, fit, fit_plain, slack_len
from tests.slack_checks import DATE_TOKEN, assert_block_kit_limits, assert_escaped

NOW = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
FAILED_ASR = Query(state=JobState.FAILED, job_type=JobType.ASR)
NEXT = '{"q":"failed asr","t":"tok-2"}'
REFRESH = '{"q":"failed asr"}'


def wire(i: int = 0, **fields: Any) -> dict[str, Any]:
    """One ListSmartJobs entry as the service sends it; ``fields`` override or (None) remove."""
    job: dict[str, Any] = {
        "JobId": f"{i:032x}",
        "Title": f"Board meeting {i}",
        "JobType": "ASR",
        "JobState": "Failed",
        "CreateTime": (NOW - timedelta(minutes=5 + 60 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "InputConfig": {"InputFile": f"oss://in.oss-cn-shanghai.aliyuncs.com/calls/{i}.mp4"},
        "OutputConfig": {"Bucket": "media-out", "Object": f"asr/{i}.json"},
    }
    job.update(fields)
    return {k: v for k, v in job.items() if v is not None}


def page_of(jobs: list[dict[str, Any]], **fields: Any) -> SmartJobPage:
    return SmartJobPage.from_wire({"RequestId": "req-1", "SmartJobList": jobs, **fields})


def view(
    jobs: list[dict[str, Any]] | None = None,
    *,
    query: Query = FAILED_ASR,
    total: int | None = 110,
    **options: Any,
) -> PageView:
    page = page_of(
        [wire(i) for i in range(3)] if jobs is None else jobs,
        **({"TotalCount": str(total)} if total is not None else {}),
    )
    defaults: dict[str, Any] = {"next_value": NEXT, "refresh_value": REFRESH}
    return PageView(
        query=query, page=page, region="cn-shanghai", now=NOW, **{**defaults, **options}
    )


def blocks_of(message: Message, kind: str) -> list[dict[str, Any]]:
    return [b for b in message["blocks"] if b["type"] == kind]


def job_sections(message: Message) -> list[str]:
    return [b["text"]["text"] for b in blocks_of(message, "section")]


# --- the page: examples -----------------------------------------------------------------------


def test_page_header_count_context_and_notification_text() -> None:
    message = render_page(view())
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Failed ASR jobs", "emoji": True},
    }
    assert message["blocks"][1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "3 of 110 · cn-shanghai"}],
    }
    assert message["text"] == "3 of 110 failed ASR jobs, newest 5 min ago"
    assert_block_kit_limits(message)


def test_one_job_is_one_section_with_state_type_title_id_and_date_token() -> None:
    message = render_page(view())
    first = message["blocks"][2]
    stamp = int((NOW - timedelta(minutes=5)).timestamp())
    assert first == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": ":x: *Failed* · ASR · Board meeting 0\n"
            f"`{0:032x}` · <!date^{stamp}^{{date_short_pretty}} {{time}}|2026-11-03 02:55 UTC>"
            " · 5 min ago",
        },
    }
    assert message["blocks"][3] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": ":inbox_tray: oss://in.oss-cn-shanghai.aliyuncs.com/calls/0.mp4",
            },
            {"type": "mrkdwn", "text": ":outbox_tray: media-out/asr/0.json"},
        ],
    }


def test_input_output_context_only_when_present() -> None:
    jobs = [
        wire(0, InputConfig=None, OutputConfig=None),
        wire(1, InputConfig={}, OutputConfig={"Object": "only-object"}),
        wire(2, InputConfig={"InputFile": "  "}, OutputConfig={"Bucket": "b"}),
    ]
    message = render_page(view(jobs))
    contexts = [b["elements"] for b in blocks_of(message, "context")[1:]]
    assert contexts == [
        [{"type": "mrkdwn", "text": ":outbox_tray: only-object"}],
        [{"type": "mrkdwn", "text": ":outbox_tray: b"}],
    ]


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("Failed", ":x: *Failed*"),
        ("Finished", ":white_check_mark: *Finished*"),
        ("Executing", ":hourglass_flowing_sand: *Executing*"),
        ("Created", ":new: *Created*"),
        ("Paused<&>", ":white_circle: *Paused&lt;&amp;&gt;*"),
        (None, ":white_circle: *Unknown*"),
    ],
)
def test_state_is_emoji_and_word(state: str | None, shown: str) -> None:
    message = render_page(view([wire(0, JobState=state)]))
    assert job_sections(message)[0].startswith(shown + " · ")


@pytest.mark.parametrize(
    ("job_type", "first_line"),
    [
        ("TextToSpeech", ":x: *Failed* · TextToSpeech · Board meeting 0"),
        ("Holo<gram>", ":x: *Failed* · Holo&lt;gram&gt; · Board meeting 0"),
        (None, ":x: *Failed* · Board meeting 0"),
    ],
)
def test_type_known_unknown_and_missing(job_type: str | None, first_line: str) -> None:
    message = render_page(view([wire(0, JobType=job_type)]))
    assert job_sections(message)[0].split("\n")[0] == first_line


@pytest.mark.parametrize("title", [None, "", "   ", "\n\t"])
def test_missing_title_is_untitled(title: str | None) -> None:
    message = render_page(view([wire(0, Title=title)]))
    assert " · (untitled)\n" in job_sections(message)[0]


def test_long_title_trimmed_to_80_on_a_word() -> None:
    title = "Quarterly all hands recording " * 10
    first_line = job_sections(render_page(view([wire(0, Title=title)])))[0].split("\n")[0]
    shown = first_line.split(" · ", 2)[2]
    assert shown.endswith("…") and len(shown) <= 80
    assert (
        shown == "Quarterly all hands recording Quarterly all hands recording Quarterly all hands…"
    )


def test_hostile_job_data_is_escaped_everywhere() -> None:
    job = wire(
        0,
        Title="<!channel> ping <@U123> & <https://evil|click> @here",
        JobId="id`with`ticks<>",
        JobType="<!everyone>",
        JobState="<!here>",
        InputConfig={"InputFile": "<@U999>&"},
        OutputConfig={"Bucket": "<b>", "Object": "`o`"},
    )
    message = render_page(view([job]))
    section, io = message["blocks"][2]["text"]["text"], message["blocks"][3]["elements"]
    assert (
        "&lt;!channel&gt; ping &lt;@U123&gt; &amp; &lt;https://evil|click&gt; @\u2060here"
        in section
    )
    assert "`idˋwithˋticks&lt;&gt;`" in section
    assert ":white_circle: *&lt;!here&gt;*" in section
    assert "&lt;!everyone&gt;" in section
    assert io[0]["text"] == ":inbox_tray: &lt;@U999&gt;&amp;"
    assert io[1]["text"] == ":outbox_tray: &lt;b&gt;/ˋoˋ"
    assert_escaped(message)


def test_control_characters_and_newlines_do_not_break_layout() -> None:
    message = render_page(view([wire(0, Title="line one\nline two\x1b[31m red\u202eevil")]))
    first_line = job_sections(message)[0].split("\n")[0]
    assert first_line.endswith("line one line two [31m red evil")


def test_context_without_total_and_on_later_pages() -> None:
    message = render_page(view(total=None, page_number=2))
    # Without TotalCount (ICE's default) a later page still says where it is.
    assert message["blocks"][1]["elements"][0]["text"] == "11–13 jobs · page 2 · cn-shanghai"
    assert message["text"] == "Page 2: 3 failed ASR jobs, newest 5 min ago"
    single = render_page(view([wire(0)], total=None))
    assert single["blocks"][1]["elements"][0]["text"] == "1 job · cn-shanghai"
    assert single["text"] == "1 failed ASR job, newest 5 min ago"


def test_notification_text_for_oldest_first_and_windows() -> None:
    query = Query(sort=SortBy.OLDEST, since=timedelta(hours=6))
    message = render_page(view(query=query, total=None))
    assert message["text"] == "3 jobs in the last 6h, oldest 2 h ago"
    assert message["blocks"][0]["text"]["text"] == "Jobs, oldest first, last 6h"


def test_notification_text_without_any_creation_time() -> None:
    message = render_page(view([wire(0, CreateTime=None)], total=None))
    assert message["text"] == "1 failed ASR job"
    assert job_sections(message)[0].endswith(f"`{0:032x}` · created: unknown")


def test_buttons_next_refresh_share() -> None:
    (actions,) = blocks_of(render_page(view()), "actions")
    assert actions["elements"] == [
        {
            "type": "button",
            "action_id": "next_page",
            "text": {"type": "plain_text", "text": "Next page", "emoji": True},
            "value": NEXT,
            "style": "primary",
        },
        {
            "type": "button",
            "action_id": "refresh_page",
            "text": {"type": "plain_text", "text": "Refresh", "emoji": True},
            "value": REFRESH,
        },
        {
            "type": "button",
            "action_id": "share_page",
            "text": {"type": "plain_text", "text": "Share to channel", "emoji": True},
            "value": REFRESH,
        },
    ]
    assert (ACTION_NEXT, ACTION_REFRESH, ACTION_SHARE) == (
        "next_page",
        "refresh_page",
        "share_page",
    )


def test_last_page_has_no_next_button() -> None:
    (actions,) = blocks_of(render_page(view(next_value=None)), "actions")
    assert [b["action_id"] for b in actions["elements"]] == ["refresh_page", "share_page"]


def test_no_actions_block_without_values() -> None:
    message = render_page(view(next_value=None, refresh_value=""))
    assert blocks_of(message, "actions") == []


def test_button_values_up_to_2000_and_no_further() -> None:
    message = render_page(view(next_value="n" * 2000, refresh_value="r" * 2000))
    values = [b["value"] for b in blocks_of(message, "actions")[0]["elements"]]
    assert [len(v) for v in values] == [2000, 2000, 2000]
    assert_block_kit_limits(message)
    with pytest.raises(ValueError, match="2000"):
        render_page(view(next_value="n" * 2001))


def test_shared_copy_names_the_sharer_and_has_no_buttons() -> None:
    message = render_page(view(shared_by="U0123ABCD"))
    assert message["blocks"][1]["elements"][1] == {
        "type": "mrkdwn",
        "text": "Shared by <@U0123ABCD>",
    }
    assert blocks_of(message, "actions") == []
    odd = render_page(view(shared_by="<!channel>"))
    assert odd["blocks"][1]["elements"][1]["text"] == "Shared by &lt;!channel&gt;"


def test_empty_result_says_so_and_suggests_broader_queries() -> None:
    message = render_page(view([], total=None, next_value=None))
    assert message["text"] == "No failed ASR jobs"
    assert message["blocks"][1]["elements"][0]["text"] == "0 jobs · cn-shanghai"
    assert message["blocks"][2]["text"]["text"] == (
        ":mag: No failed ASR jobs found.\n"
        "Try a broader query: `/smartjobs failed` · `/smartjobs asr` · `/smartjobs help`"
    )
    assert_block_kit_limits(message)


def test_empty_result_with_window_suggests_a_week() -> None:
    query = Query(job_type=JobType.TEXT_TO_SPEECH, since=timedelta(hours=2))
    section = job_sections(render_page(view([], query=query, total=0)))[0]
    assert section.startswith(":mag: No TextToSpeech jobs in the last 2h found.")
    assert "`/smartjobs since:2h` · `/smartjobs tts since:7d` · `/smartjobs help`" in section


def test_empty_later_page_is_the_end_not_a_suggestion() -> None:
    message = render_page(view([], page_number=3, next_value=None))
    assert message["text"] == "No more failed ASR jobs"
    assert job_sections(message) == ["No more failed ASR jobs: this was the last page."]


def test_naive_and_extreme_creation_times() -> None:
    naive = render_page(view([wire(0, CreateTime="2026-11-03T02:00:00")], total=None))
    assert "|2026-11-03 02:00 UTC>" in job_sections(naive)[0]
    extreme = wire(0, CreateTime=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))
    message = render_page(view([extreme], total=None))
    assert "<!date" not in job_sections(message)[0]
    assert_block_kit_limits(message)


# --- the page: many jobs -----------------------------------------------------------------------


def many(n: int, **fields: Any) -> list[dict[str, Any]]:
    return [wire(i, **fields) for i in range(n)]


def style_of(message: Message) -> tuple[int, int, int]:
    """(job sections, job lines, date tokens) of a rendered page."""
    sections = job_sections(message)
    lines = sum(1 for s in sections for line in s.split("\n") if "`" in line)
    return len(sections), lines, sum(len(DATE_TOKEN.findall(s)) for s in sections)


def test_ten_jobs_full_detail() -> None:
    message = render_page(view(many(10)))
    assert style_of(message) == (10, 10, 10)
    assert len(blocks_of(message, "context")) == 11  # count line + one per job


def test_thirty_jobs_one_section_each_without_io_context() -> None:
    message = render_page(view(many(30)))
    assert style_of(message) == (30, 30, 30)
    assert len(blocks_of(message, "context")) == 1
    assert_block_kit_limits(message)


def test_sixty_jobs_packed_several_per_section() -> None:
    message = render_page(view(many(60)))
    sections, lines, tokens = style_of(message)
    assert sections < 10 and lines == 60 and tokens == 60
    # Packed lines repeat the type only when it differs from the one asked for.
    assert " · ASR · " not in job_sections(message)[0]
    assert_block_kit_limits(message)


@pytest.mark.parametrize("states", [{}, {"JobType": "Mystery<&>", "JobState": "Paused&<>"}])
def test_hundred_worst_case_titles_all_shown(states: dict[str, str]) -> None:
    jobs = many(100, Title="&<>" * 100, **states)
    message = render_page(
        view(jobs, query=Query(), total=10**12, next_value="n" * 200, refresh_value="r" * 200)
    )
    assert_block_kit_limits(message)
    assert_escaped(message)
    assert style_of(message)[1] == 100
    assert "Showing" not in json.dumps(message)


def test_hundred_jobs_with_huge_values_are_capped_with_a_note() -> None:
    jobs = many(100, Title="&<>" * 100, JobId="`<&>`" * 400)
    message = render_page(view(jobs, next_value="n" * 2000, refresh_value="r" * 2000))
    assert_block_kit_limits(message)
    assert_escaped(message)
    shown = style_of(message)[1]
    assert 0 < shown < 100
    note = blocks_of(message, "context")[-1]["elements"][0]["text"]
    assert note.startswith(f":information_source: Showing {shown} of 100 jobs on this page")
    assert f"`limit:{shown}`" in note
    assert message["text"] == "100 of 110 failed ASR jobs, newest 5 min ago"


# --- help, errors, notices ---------------------------------------------------------------------


def test_help_keeps_our_mrkdwn_and_escapes_angle_brackets() -> None:
    message = render_help("*/smartjobs*: list jobs\n\n• `/smartjobs failed <type>` & more")
    assert message == {
        "text": "/smartjobs: list jobs",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*/smartjobs*: list jobs\n\n• `/smartjobs failed &lt;type&gt;` &amp; more",
                },
            }
        ],
    }


def test_long_help_is_split_into_sections() -> None:
    message = render_help("\n".join(f"line {i} " + "x" * 90 for i in range(200)))
    assert len(message["blocks"]) >= 4
    assert_block_kit_limits(message)
    assert "line 0 " in message["blocks"][0]["text"]["text"]
    assert message["blocks"][-1]["text"]["text"] == "… (help cut short to fit one Slack message)"
    short = render_help("\n".join(f"line {i} " + "x" * 90 for i in range(80)))
    assert [len(b["text"]["text"]) for b in short["blocks"]][-1] < 3000
    assert "line 79" in short["blocks"][-1]["text"]["text"]
    assert_block_kit_limits(short)


def test_error_with_hint_usage_and_request_id() -> None:
    message = render_error(
        'Unknown word "faild"',
        "I don't know `faild` <here>.",
        hint="Did you mean `failed`?",
        request_id="9262E3DA-07FA",
        usage="Usage: /smartjobs [state] [type]\n  e.g. /smartjobs failed asr",
    )
    assert message == {
        "text": '⚠️ Unknown word "faild"',
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": ':warning: *Unknown word "faild"*\nI don\'t know `faild` &lt;here&gt;.',
                },
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": ":bulb: Did you mean `failed`?"},
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "```Usage: /smartjobs [state] [type]\n  e.g. /smartjobs failed asr```",
                },
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Request id `9262E3DA-07FA`"}],
            },
        ],
    }


def test_error_never_shows_a_stack_trace_and_escapes_user_words() -> None:
    detail = 'Bad input <!channel>\nTraceback (most recent call last):\n  File "x.py"'
    message = render_error("<@U1> broke it", detail)
    assert message["text"] == "⚠️ &lt;@U1&gt; broke it"
    (section,) = job_sections(message)
    assert section == ":warning: *&lt;@U1&gt; broke it*\nBad input &lt;!channel&gt;"
    assert "Traceback" not in json.dumps(message)


def test_error_with_minimal_arguments() -> None:
    message = render_error("", "")
    assert message["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":warning: *Something went wrong*"}}
    ]
    assert_block_kit_limits(message)


def test_notice_is_one_short_line() -> None:
    assert render_notice("Looking…") == {
        "text": "Looking…",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Looking…"}}],
    }
    long = render_notice(":no_entry: You are not allowed <here> " + "x " * 500)
    assert_block_kit_limits(long)
    assert long["text"].startswith(":no_entry: You are not allowed &lt;here&gt;")


# --- plain text --------------------------------------------------------------------------------


def test_text_page_lists_jobs_in_the_viewers_time_zone() -> None:
    out = render_page_text(view(), tz=ZoneInfo("Asia/Shanghai"))
    assert out.splitlines()[:3] == ["Failed ASR jobs", "3 of 110 · cn-shanghai", ""]
    assert out.splitlines()[3] == "Failed  2026-11-03 10:55 CST  5 min ago  ASR  Board meeting 0"
    detail = out.splitlines()[4]
    assert detail.startswith(f"        id {0:032x}  in oss://in.oss-cn-shanghai.aliyuncs.com/")
    assert len(detail) <= 100 and detail.endswith("…"), "elided to 100 columns"
    assert "`" not in out, "job ids without markup"
    assert max(len(line) for line in out.splitlines()) <= 100
    assert out.endswith("\nMore on the next page.\n")


def test_text_page_handles_unknown_and_missing_fields() -> None:
    jobs = [
        wire(0, JobState=None, JobType=None, Title=None, CreateTime=None),
        wire(1, JobState="Paused", JobType="Hologram", Title="\x1b[2Jwipe\x07 <!channel>"),
    ]
    out = render_page_text(view(jobs, total=None, next_value=None, page_number=2))
    lines = out.splitlines()
    assert lines[1] == "2 jobs · page 2 · cn-shanghai"
    assert lines[3].split() == ["Unknown", "-", "-", "-", "(untitled)"]
    assert "Paused" in lines[5] and "Hologram" in lines[5]
    assert lines[5].endswith(" [2Jwipe <!channel>")
    assert "\x1b" not in out and "\x07" not in out
    assert out.endswith("\nEnd of list.\n")


def test_text_page_empty() -> None:
    out = render_page_text(view([], total=None))
    assert out == (
        "Failed ASR jobs\n0 jobs · cn-shanghai\n\nNo failed ASR jobs.\n"
        "Try a broader query: smartjobs query failed, smartjobs query asr, smartjobs query help.\n"
    )


# --- helpers -----------------------------------------------------------------------------------


def test_fit_bounds_the_escaped_text_and_never_cuts_an_entity() -> None:
    assert fit("&" * 300, 20) == "&amp;&amp;&amp;…"
    assert fit("a<b", 10) == "a&lt;b"
    assert fit(None, 10, "(untitled)") == "(untitled)"
    assert fit("x`y", 10) == "xˋy"
    assert fit("x`y", 10, authored=True) == "x`y"
    assert clean("a\x00b\n c\u202e") == "a b c"
    assert fit_plain("word " * 30, 20) == "word word word word…"


# --- properties --------------------------------------------------------------------------------

HOSTILE = st.sampled_from(
    ["<!channel>", "<@U123>", "<!here|here>", "&", "&amp;", "<", ">", "`", "```", "*", "_", "~",
     "\n", "\t", "\x1b[31m", "\x00", "@here", "@channel", "<!date^1^x|y>", "\u202e", "😀", "👩‍👩‍👧",
     "ｗ", "é", " "]
)  # fmt: skip


def long_text(max_size: int) -> st.SearchStrategy[str]:
    """Cheap long strings: a few hostile or arbitrary pieces, repeated, cut to ``max_size``."""
    pieces = st.lists(st.one_of(HOSTILE, st.text(max_size=20)), max_size=5)
    return st.builds(lambda p, n: ("".join(p) * n)[:max_size], pieces, st.integers(0, 400))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


TIMEZONES = st.one_of(
    st.just(UTC),
    st.builds(
        timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
    ),
)
WORDS = st.one_of(st.sampled_from([*JobState, *JobType]).map(str), long_text(60))
JOBS = st.fixed_dictionaries(
    {"JobId": st.one_of(st.uuids().map(lambda u: u.hex), long_text(300))},
    optional={
        "Title": maybe(long_text(2000)),
        "JobType": maybe(WORDS),
        "JobState": maybe(WORDS),
        "CreateTime": maybe(st.datetimes(timezones=st.one_of(st.none(), TIMEZONES))),
        "InputConfig": maybe(
            st.fixed_dictionaries({}, optional={"InputFile": maybe(long_text(500))})
        ),
        "OutputConfig": maybe(
            st.fixed_dictionaries(
                {}, optional={"Bucket": maybe(long_text(100)), "Object": maybe(long_text(500))}
            )
        ),
    },
)
QUERIES = st.builds(
    Query,
    state=maybe(st.sampled_from(JobState)),
    job_type=maybe(st.sampled_from(JobType)),
    sort=st.sampled_from(SortBy),
    since=maybe(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=30))),
    region=maybe(long_text(40)),
)
VALUES = st.integers(1, 2000).map(lambda n: "v" * n)


@st.composite
def page_views(draw: st.DrawFn, job_lists: st.SearchStrategy[list[dict[str, Any]]]) -> PageView:
    page = SmartJobPage.from_wire(
        {
            "SmartJobList": draw(job_lists),
            "TotalCount": draw(maybe(st.integers(-1, 10**30))),
            "NextToken": draw(maybe(st.text(max_size=50))),
        }
    )
    return PageView(
        query=draw(QUERIES),
        page=page,
        region=draw(st.one_of(st.just("cn-shanghai"), long_text(100))),
        now=draw(st.datetimes(timezones=TIMEZONES)),
        page_number=draw(st.integers(1, 10**6)),
        next_value=draw(maybe(VALUES)),
        refresh_value=draw(st.one_of(st.just(""), VALUES)),
        back_value=draw(maybe(VALUES)),  # with it, every job gets a Details control
        error_codes={  # codes already known for some of its failed jobs, odd ones too
            job.job_id: draw(long_text(100))
            for job in page.smart_job_list
            if job.job_id and draw(st.booleans())
        },
        shared_by=draw(
            maybe(st.one_of(st.from_regex(r"U[A-Z0-9]{8,10}", fullmatch=True), long_text(30)))
        ),
    )


@st.composite
def hundreds(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to 100 jobs built from a few hostile templates (hypothesis cannot draw 100 big ones)."""
    templates = draw(st.lists(JOBS, min_size=1, max_size=4))
    count = draw(st.integers(0, 100))
    return [templates[i % len(templates)] for i in range(count)]


def check_page(v: PageView) -> None:
    message = render_page(v)
    assert_block_kit_limits(message)
    assert_escaped(message, mentions=1 if v.shared_by is not None else 0)
    assert (v.shared_by is None) or not blocks_of(message, "actions")
    json.dumps(message)  # serialisable as sent


@given(page_views(st.lists(JOBS, max_size=12)))
def test_property_page_within_limits_and_escaped(v: PageView) -> None:
    check_page(v)


@given(page_views(hundreds()))
def test_property_hundred_hostile_jobs_within_limits(v: PageView) -> None:
    check_page(v)


@given(page_views(hundreds()), st.sampled_from([UTC, ZoneInfo("America/Los_Angeles")]))
def test_property_text_page_has_no_control_characters(v: PageView, tz: Any) -> None:
    out = render_page_text(v, tz=tz)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out)
    assert out.count("\n") >= 3 + 2 * len(v.page.smart_job_list)


@given(long_text(3000), st.integers(0, 400), st.booleans())
def test_property_fit_bounds_and_escapes(text: str, limit: int, keep_lines: bool) -> None:
    out = fit(text, limit, keep_lines=keep_lines)
    assert slack_len(out) <= max(limit, 0)
    assert "<" not in out and ">" not in out and "`" not in out
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", out, re.DOTALL)


@given(long_text(2000), long_text(2000), maybe(long_text(500)), maybe(long_text(200)))
def test_property_error_help_notice_within_limits(
    title: str, detail: str, hint: str | None, request_id: str | None
) -> None:
    for message in (
        render_error(title, detail, hint=hint, request_id=request_id, usage=hint),
        render_help(detail * 5),
        render_notice(title),
    ):
        assert_block_kit_limits(message)
        assert_escaped(message)
        json.dumps(message)


FAMILY = "👩\u200d👩\u200d👧"  # 5 code points, 8 UTF-16 units


@pytest.mark.parametrize(
    ("count", "title"),
    [(3, "<!channel>" + FAMILY * 10), (30, "<&>" + FAMILY * 12)],
    ids=["buttons", "menus"],
)
def test_details_labels_count_as_slack_does(count: int, title: str) -> None:
    """A label cut by code points would pass Slack's 75 with emoji families."""
    v = view([wire(i, Title=title) for i in range(count)], back_value=REFRESH)
    check_page(v)
    message = render_page(v)
    accessories = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert accessories, "every job has a Details control"
    labels = [o["text"]["text"] for a in accessories for o in a.get("options", [])]
    assert (count > 5) == bool(labels), "a long page packs them into menus"
    assert all("<" not in text and slack_len(text) <= 75 for text in labels)
