"""One watch poll: find jobs that started matching, alert each watch about its new ones once.

ListSmartJobs sorts by creation time only, so a job created hours ago that fails now sits
deep in the list. A poll therefore reads, per distinct (region, state, type) among the
watches, the jobs that match *now* (ICE filters by state and type on its side) created
within ``WATCH_LOOKBACK``, newest first, and tells new matches from known ones with the
store. What one poll costs: for each region and watched state, ⌈jobs in that state in the lookback
/ 100⌉ ListSmartJobs requests (one, for a few hundred failures a day), however many watches
share it and however many jobs the lookback holds in other states; typed watches are served
from that read (or, when no watch of that state wants every type, each type is read on its
own, costing ⌈jobs of that type and state / 100⌉).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from bot import button_value
from bot.ice._enums import JobState, SortBy
from bot.ice._errors import IceError
from bot.lookup import error_codes
from bot.query import Query
from bot.render._alerts import render_alert
from bot.slack.delivery import PERMANENT, SlackPostError, post_message, update_message
from bot.watch.model import SHOWN, Alert, Watch, after, plan
from bot.watch.store import WatchStore

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.ice import IceClient, SmartJob

log = logging.getLogger("bot.watch")

PAGE: Final = 100
MAX_PAGES: Final = 50
"""5,000 matching jobs in the lookback at most: more is a storm the digest tells better."""
KEEP: Final = timedelta(hours=1)
"""Job records outlive the lookback by this much, so a job at its edge never alerts twice."""


@dataclass
class PollReport:
    """What one poll did, for logs, metrics and the terminal."""

    watches: int = 0
    ice_requests: int = 0
    alerts: int = 0
    jobs_alerted: int = 0
    failed: list[str] = field(default_factory=list)
    """Watches whose alert did not go out (ICE or Slack); their jobs are tried again."""
    paused: list[str] = field(default_factory=list)


def matching(
    client: IceClient, query: Query, *, since: datetime, report: PollReport
) -> list[SmartJob]:
    """Jobs matching the watch's filters now, created at or after ``since``, newest first."""
    found: list[SmartJob] = []
    pages = client.iter_pages(
        job_type=query.job_type, job_state=query.state, sort_by=SortBy.NEWEST, max_results=PAGE
    )
    try:
        for number, page in enumerate(pages, start=1):
            report.ice_requests += 1
            for job in page.smart_job_list:
                if job.create_time is not None and job.create_time < since:
                    return found
                found.append(job)
            if number >= MAX_PAGES:
                log.warning("watch scan stopped after %d pages of %s", number, query)
                return found
    finally:
        close = getattr(pages, "close", None)
        if close is not None:  # end the paging generator now, not at garbage collection
            close()
    return found


def poll(
    store: WatchStore,
    ice: Callable[[str], IceClient],
    slack: WebClient,
    *,
    now: datetime,
    lookback: timedelta,
    default_region: str,
) -> PollReport:
    """One poll of every active watch. Never raises for ICE or Slack: each is logged once."""
    report = PollReport()
    watches = [w for w in store.watches() if not w.paused]
    report.watches = len(watches)
    for region, query, group in _scans(watches, default_region):
        try:
            jobs = matching(ice(region), query, since=now - lookback, report=report)
        except IceError as error:
            log.error(
                "watch poll: ICE failed for %s in %s: %s (RequestId %s). %s",
                query.state,
                region,
                error.code,
                error.request_id,
                error.hint,
            )
            report.failed += [w.id for w in group]
            continue
        for watch in group:
            wanted = watch.parsed.job_type
            mine = [j for j in jobs if wanted is None or j.job_type == wanted]
            _deliver(
                store, slack, ice, watch, mine, region, now=now, lookback=lookback, report=report
            )
    return report


def _scans(watches: list[Watch], default_region: str) -> list[tuple[str, Query, list[Watch]]]:
    """The ICE reads one poll needs: one per region and state; per type only when no watch
    of that state wants every type (then that one read serves the typed watches too)."""
    by_state: dict[tuple[str, str], list[Watch]] = {}
    for watch in watches:
        query = watch.parsed
        by_state.setdefault((query.region or default_region, str(query.state or "")), []).append(
            watch
        )
    scans: list[tuple[str, Query, list[Watch]]] = []
    for (region, _), group in by_state.items():
        state = group[0].parsed.state
        if any(w.parsed.job_type is None for w in group):
            scans.append((region, Query(action="watch", state=state, region=region), group))
            continue
        by_type: dict[object, list[Watch]] = {}
        for watch in group:
            by_type.setdefault(watch.parsed.job_type, []).append(watch)
        for typed in by_type.values():
            scans.append((region, replace(typed[0].parsed, region=region), typed))
    return scans


def _deliver(
    store: WatchStore,
    slack: WebClient,
    ice: Callable[[str], IceClient],
    watch: Watch,
    jobs: list[SmartJob],
    region: str,
    *,
    now: datetime,
    lookback: timedelta,
    report: PollReport,
) -> None:
    ids = [job.job_id for job in jobs if job.job_id]
    claimed = set(store.claim(watch.id, ids, now=now, until=now + lookback + KEEP))
    if not claimed:
        return
    if watch.muted(now):
        store.confirm(watch.id, claimed)  # muted: seen, not said
        return
    alert = plan(watch, [job for job in jobs if job.job_id in claimed], now)
    assert alert is not None
    query = watch.parsed
    show_all = _show_all(query, region, lookback, now)
    failed = [
        (j.job_id, region)
        for j in alert.jobs[:SHOWN]
        if j.job_id and j.job_state is JobState.FAILED
    ]
    codes = error_codes(ice, failed)
    message = render_alert(
        alert,
        query=query,
        region=region,
        watch_id=watch.id,
        show_all_value=show_all,
        error_codes=codes,
    )
    try:
        thread = watch.incident_ts if alert.kind == "thread" else None
        ts = post_message(slack, watch.channel, message, what="watch alert", thread_ts=thread)
    except SlackPostError as error:
        store.release(watch.id, claimed)
        report.failed.append(watch.id)
        if error.refusal.code in PERMANENT:
            store.save(replace(watch, paused=error.refusal.code))
            report.paused.append(watch.id)
            log.error(
                "watch %s paused: Slack refuses channel %s for good (%s). Fix: %s, then set "
                "the watch up again",
                watch.id,
                watch.channel,
                error.refusal.code,
                error.refusal.hint,
            )
        return
    store.confirm(watch.id, claimed)
    report.alerts += 1
    report.jobs_alerted += len(claimed)
    store.save(after(watch, alert, ts, now))
    if alert.kind == "thread" and watch.incident_ts:
        _raise_root_count(slack, watch, alert, query, region, show_all, codes)


def _raise_root_count(
    slack: WebClient,
    watch: Watch,
    alert: Alert,
    query: Query,
    region: str,
    show_all: str | None,
    codes: Mapping[str, str],
) -> None:
    """The root's header says the incident's total; a failure here costs nothing but that."""
    assert watch.incident_ts is not None
    face = render_alert(
        alert,
        query=query,
        region=region,
        watch_id=watch.id,
        show_all_value=show_all,
        as_root=True,
        error_codes=codes,
    )
    with contextlib.suppress(SlackPostError):  # logged; the thread reply itself went out
        update_message(slack, watch.channel, watch.incident_ts, face, what="watch alert count")


def _show_all(query: Query, region: str, lookback: timedelta, now: datetime) -> str | None:
    """The private list of the watch's matches in the lookback: where these jobs are."""
    window = Query(
        state=query.state,
        job_type=query.job_type,
        region=query.region,
        since=lookback,
        until=now,
    )
    try:
        return button_value.encode(window)
    except button_value.ButtonValueError:
        return None
