"""Many pages at once, for scans that read far (a digest's window, ``since:``): pages by
``PageNo``, fetched a batch at a time on a small thread pool, yielded in order.

One batch is ``width`` consecutive pages requested together; the next batch starts once
every page of this one is in, so at most ``width`` requests are in flight and at most
``width`` pages are held. The scan ends after the last page (a short one, or ``TotalCount``
reached) or the first page ``stop`` is true for; the batch's later pages are dropped unread.

ICE is backed off as a whole, not request by request: the pages of a batch that failed with
something retryable are fetched again together after one pause (the retry policy's delay),
and throttling halves the width of the next batches, which grows back by one page after
each batch that met none. An error that cannot be retried, or a batch out of attempts or of
the policy's deadline, ends the scan with that error.

Offsets are all ``PageNo`` has: a job created mid-scan pushes the rest down a place, so a
page boundary can repeat a job (left out: a JobId is yielded once), and a job deleted
mid-scan can pull one past a boundary unseen.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final

from bot.ice._client import RetryPolicy
from bot.ice._errors import IceError, IceRequestError, IceThrottledError
from bot.ice._models import SmartJobPage

log = logging.getLogger("bot.ice")

MAX_CONCURRENCY: Final = 16
"""Requests in flight at most: within the lean transport's connections, and far below what
ICE's related list calls publish (about 100 a second)."""

FetchPage = Callable[[int, int, float], SmartJobPage]
"""(page number, attempt, seconds left) -> that page, or an :class:`IceError`: one attempt."""


def check_concurrency(concurrency: object) -> int:
    if (
        not isinstance(concurrency, int)
        or isinstance(concurrency, bool)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise IceRequestError(f"concurrency must be 1 to {MAX_CONCURRENCY}, not {concurrency!r}")
    return concurrency


def concurrent_pages(
    fetch: FetchPage,
    *,
    page_size: int,
    concurrency: int,
    stop: Callable[[SmartJobPage], bool] | None,
    retry: RetryPolicy,
    rng: random.Random,
    sleep: Callable[[float], None],
) -> Iterator[SmartJobPage]:
    """The pages, in order, each with the jobs no earlier page had (see the module)."""
    seen: set[str] = set()
    width, first = concurrency, 1
    with ThreadPoolExecutor(concurrency, thread_name_prefix="ice-pages") as pool:
        while True:
            numbers = range(first, first + width)
            pages, throttled = _batch(pool, fetch, numbers, retry, rng, sleep)
            width = max(1, width // 2) if throttled else min(concurrency, width + 1)
            first += len(numbers)
            for number in numbers:
                page = pages[number]
                yield _unseen(page, seen)
                total = page.total_count
                if len(page.smart_job_list) < page_size or (
                    total is not None and number * page_size >= total
                ):
                    return
                if stop is not None and stop(page):
                    return


def _batch(
    pool: ThreadPoolExecutor,
    fetch: FetchPage,
    numbers: range,
    retry: RetryPolicy,
    rng: random.Random,
    sleep: Callable[[float], None],
) -> tuple[dict[int, SmartJobPage], bool]:
    """Every page of the batch, and whether ICE throttled any request on the way."""
    pages: dict[int, SmartJobPage] = {}
    attempts = dict.fromkeys(numbers, 0)
    started = time.monotonic()
    pending = list(numbers)
    throttled = False
    while True:
        remaining = retry.deadline - (time.monotonic() - started)
        futures: list[tuple[int, Future[SmartJobPage]]] = [
            (number, pool.submit(fetch, number, attempts[number], remaining)) for number in pending
        ]
        failed: list[IceError] = []
        for number, future in futures:
            try:
                pages[number] = future.result()
            except IceError as error:
                attempts[number] += 1
                error.attempts = attempts[number]
                if not error.retryable or attempts[number] >= retry.max_attempts:
                    raise
                throttled = throttled or isinstance(error, IceThrottledError)
                failed.append(error)
        pending = [number for number in pending if number not in pages]
        if not pending:
            return pages, throttled
        pause = retry.delay(max(attempts[n] for n in pending) - 1, rng)
        if time.monotonic() - started + pause >= retry.deadline:
            raise failed[0]
        log.warning(
            "ICE ListSmartJobs: %d of %d pages failed (%s); the batch retries in %.2fs",
            len(pending),
            len(numbers),
            ", ".join(sorted({error.code for error in failed})),
            pause,
        )
        sleep(pause)


def _unseen(page: SmartJobPage, seen: set[str]) -> SmartJobPage:
    """The page without the jobs an earlier page had; ``seen`` gains this page's."""
    jobs = page.smart_job_list
    fresh = tuple(job for job in jobs if job.job_id is None or job.job_id not in seen)
    seen.update(job.job_id for job in fresh if job.job_id is not None)
    return page if len(fresh) == len(jobs) else page.replace(smart_job_list=fresh)
