"""Who may ask, and what: one policy for slash commands, button clicks and the terminal.

Pure: a deployment's :class:`~bot.config.Settings` and a request's ids or query in, a
verdict out. The Slack middleware, the button decoders and ``smartjobs query`` all call
these, so a rule is written once and holds everywhere.
"""

from __future__ import annotations

from bot import filters
from bot.config import Settings
from bot.filters import ALL_REGIONS
from bot.ice._enums import SortBy
from bot.query import Query


def is_allowed(settings: Settings, team: str | None, channel: str | None, user: str | None) -> bool:
    """Every list that is set must contain the request's id; unset lists allow everyone."""
    checks = (
        (settings.allowed_team_ids, team),
        (settings.allowed_channel_ids, channel),
        (settings.allowed_user_ids, user),
    )
    return all(not allowed or (value in allowed) for allowed, value in checks)


def check_query(query: Query, settings: Settings | None = None) -> Query:
    """What every entry point (command, button, terminal) holds a query to.

    A ``since:`` window is found by scanning newest first, so it cannot be listed oldest
    first; with ``settings``, ``region:`` is held to ``ALLOWED_REGIONS``.
    """
    if query.since is not None and query.sort is SortBy.OLDEST:
        raise filters.FilterError(
            '"oldest" and "since:" do not combine: a window is scanned newest first.',
            word="oldest",
        )
    allowed = settings.allowed_regions if settings else frozenset()
    if query.region == ALL_REGIONS:
        if settings is not None and not regions_of(query, settings):
            raise filters.FilterError(
                "None of this deployment's regions (ICE_REGIONS) is allowed here (ALLOWED_REGIONS).",
                word=query.region,
            )
        return query
    if query.region and allowed and query.region not in allowed:
        raise filters.FilterError(
            f'The region is not allowed here: "{query.region}" '
            f"(allowed: {', '.join(sorted(allowed))}).",
            word=query.region,
        )
    return query


def parse_allowed(text: str, settings: Settings | None = None) -> Query:
    """The grammar, then the policy: what a typed command is allowed to mean."""
    return check_query(filters.parse(text), settings)


def regions_of(query: Query, settings: Settings) -> tuple[str, ...]:
    """The regions a query reads: its own, the default, or for ``region:all`` every region
    of ``ICE_REGIONS`` that ``ALLOWED_REGIONS`` admits."""
    if query.region != ALL_REGIONS:
        return (query.region or settings.ice_region,)
    allowed = settings.allowed_regions
    return tuple(r for r in settings.ice_regions if not allowed or r in allowed)
