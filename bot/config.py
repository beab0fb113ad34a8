"""Settings from the environment (and optionally one Secrets Manager secret), read once."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.ice._regions import DEFAULT_REGION

SECRET_KEYS = (
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
)
ALIBABA_PREFIX = "ALIBABA_CLOUD_"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and how to fix it."""


def ice_region(value: str | None) -> str:
    """``ICE_REGION``, held to the regions ICE is offered in (as ``region:`` is)."""
    from bot.filters import ALL_REGIONS, FilterError, region

    if not value:
        return DEFAULT_REGION
    try:
        named = region(value)
    except FilterError as error:
        raise ConfigError(f"ICE_REGION: {error}") from None
    if named == ALL_REGIONS:
        raise ConfigError(
            "ICE_REGION names one region (such as cn-shanghai); ICE_REGIONS lists several."
        )
    return named


def ice_endpoint(value: str | None, name: str = "ICE_ENDPOINT") -> str | None:
    """An endpoint override such as ``http://127.0.0.1:8787``, checked; never echoes a password.

    A ``user:password@`` part is refused (ICE takes signed requests, not basic auth) and only
    ever shown as ``***@``.
    """
    from urllib.parse import urlsplit

    if not value:
        return None
    shown = _redacted(value)
    hint = f"{name} must be a URL like http://127.0.0.1:8787 or https://ice.cn-beijing.aliyuncs.com"
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"{hint}, not {shown} (bad port).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{hint}, not {shown}.")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{hint}, without a user or password: {shown}.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{hint}, without a path or query: {shown}.")
    if port == 0:
        raise ConfigError(f"{hint}, not {shown} (port 0).")
    return value.strip().rstrip("/")


def ice_regions(value: str | None, default: str) -> tuple[str, ...]:
    """``ICE_REGIONS``: the regions a team uses (``region:all``, the digest), default region first."""
    names = [part.strip() for part in (value or "").split(",") if part.strip()]
    regions = [ice_region(name) if name else default for name in names] or [default]
    if default not in regions:
        regions.insert(0, default)
    return tuple(dict.fromkeys(regions))


def ice_endpoints(value: str | None) -> dict[str, str]:
    """``ICE_ENDPOINTS``: ``region=url,…`` overrides (tests, the demo, a proxy per region)."""
    found: dict[str, str] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        name, sep, url = part.partition("=")
        if not sep:
            raise ConfigError(
                "ICE_ENDPOINTS is region=url pairs separated by commas, e.g. "
                f"cn-shanghai=http://127.0.0.1:8787, not {part.strip()[:40]!r}."
            )
        endpoint = ice_endpoint(url, name="ICE_ENDPOINTS")
        assert endpoint is not None
        found[ice_region(name)] = endpoint
    return found


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return repr(url[:80])
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return repr(f"{scheme}://{authority}{slash}{path}"[:80])


DEFAULT_WATCH_LOOKBACK = timedelta(hours=24)
DEFAULT_INLINE_BUDGET = 2.0
"""Slack waits 3 s for an ack; 2 s leaves room for the network between us and Slack."""


DEFAULT_SCAN_CONCURRENCY = 8


def _concurrency(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_SCAN_CONCURRENCY
    if not (value.strip().isdigit() and 1 <= int(value) <= 16):
        raise ConfigError(f"SCAN_CONCURRENCY must be a number from 1 to 16, not {value!r}.")
    return int(value)


def _budget(value: str | None) -> float:
    if value is None or not value.strip():
        return DEFAULT_INLINE_BUDGET
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 2.5:
        raise ConfigError(
            f"INLINE_BUDGET must be seconds from 0 to 2.5 (0: never inline), not {value!r}."
        )
    return seconds


def default_state_db(env: Mapping[str, str]) -> str:
    """``$XDG_STATE_HOME/smartjobs/smartjobs.db`` (``~/.local/state/…``); ``/tmp`` on Lambda."""
    if env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "/tmp/smartjobs.db"  # noqa: S108 - Lambda's only writable place; WATCH_TABLE is the durable one
    base = env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "smartjobs", "smartjobs.db")


def _lookback(value: str | None) -> timedelta:
    from bot.filters import FilterError, duration

    if not value:
        return DEFAULT_WATCH_LOOKBACK
    try:
        return duration(value)
    except FilterError as error:
        raise ConfigError(f"WATCH_LOOKBACK must be a duration such as 24h: {error}") from None


def _id_list(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    slack_signing_secret: str = field(repr=False)
    slack_bot_token: str = field(repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    ice_region: str = DEFAULT_REGION
    ice_endpoint: str | None = None
    ice_regions: tuple[str, ...] = (DEFAULT_REGION,)
    """The team's regions, ``ice_region`` first: what ``region:all`` and the digest cover."""
    ice_endpoints: Mapping[str, str] = field(default_factory=dict)
    digest_channel: str | None = None
    digest_table: str | None = None
    watch_table: str | None = None
    state_db: str = ""
    """The SQLite file for local state (``SMARTJOBS_DB``): watches when there is no table."""
    watch_lookback: timedelta = DEFAULT_WATCH_LOOKBACK
    scan_concurrency: int = DEFAULT_SCAN_CONCURRENCY
    """Pages a digest scan has in flight (``SCAN_CONCURRENCY``; 1 pages one at a time)."""
    inline_budget: float = DEFAULT_INLINE_BUDGET
    """Seconds after a request arrived by which its answer may go in the ack (``INLINE_BUDGET``;
    0 sends every answer through the lazy run)."""
    allowed_team_ids: frozenset[str] = frozenset()
    allowed_channel_ids: frozenset[str] = frozenset()
    allowed_user_ids: frozenset[str] = frozenset()
    allowed_regions: frozenset[str] = frozenset()
    alibaba_env: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The ``ALIBABA_CLOUD_*`` variables (secrets included) handed to the credentials chain."""

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        load_secret: Callable[[str], Mapping[str, Any]] | None = None,
        needs: Sequence[str] = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"),
    ) -> Settings:
        """Environment first; ``SECRETS_ARN``'s JSON fills what the environment leaves unset.

        ``needs``: the Slack secrets the caller cannot do without (a ConfigError names the
        missing ones); the terminal's ``watch list`` needs none, ``watch poll`` the bot token.

        Called when the Lambda entry boots (its init phase, or the next invocation after a
        failed boot): the secret is read then and kept for the container's life.
        """
        env: dict[str, str] = dict(os.environ if environ is None else environ)
        arn = env.get("SECRETS_ARN")
        if arn:
            secret = (load_secret or load_secrets_manager_json)(arn)
            for key in SECRET_KEYS:
                value = secret.get(key)
                if isinstance(value, str) and value and not env.get(key):
                    env[key] = value
        missing = [k for k in needs if not env.get(k)]
        if missing:
            them = "it" if len(missing) == 1 else "them"
            raise ConfigError(
                f"Missing {', '.join(missing)}: set {them} in the environment or in the "
                "SECRETS_ARN secret (JSON keys of the same names)."
            )
        api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        return cls(
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            ice_region=(region := ice_region(env.get("ICE_REGION"))),
            ice_endpoint=ice_endpoint(env.get("ICE_ENDPOINT")),
            ice_regions=ice_regions(env.get("ICE_REGIONS"), region),
            ice_endpoints=ice_endpoints(env.get("ICE_ENDPOINTS")),
            digest_channel=env.get("DIGEST_CHANNEL") or None,
            digest_table=env.get("DIGEST_TABLE") or None,
            watch_table=env.get("WATCH_TABLE") or None,
            state_db=env.get("SMARTJOBS_DB") or default_state_db(env),
            watch_lookback=_lookback(env.get("WATCH_LOOKBACK")),
            inline_budget=_budget(env.get("INLINE_BUDGET")),
            scan_concurrency=_concurrency(env.get("SCAN_CONCURRENCY")),
            allowed_team_ids=_id_list(env.get("ALLOWED_TEAM_IDS")),
            allowed_channel_ids=_id_list(env.get("ALLOWED_CHANNEL_IDS")),
            allowed_user_ids=_id_list(env.get("ALLOWED_USER_IDS")),
            allowed_regions=_id_list(env.get("ALLOWED_REGIONS")),
            alibaba_env={k: v for k, v in env.items() if k.startswith(ALIBABA_PREFIX)},
        )

    def ice_env(self, region: str | None = None) -> dict[str, str]:
        """The variables ``IceClient.from_env`` reads, for one region.

        ``ICE_ENDPOINTS`` names a region's endpoint; without it, ``ICE_ENDPOINT`` (one
        emulator, a proxy) serves every region alike.
        """
        env = dict(self.alibaba_env)
        env["ICE_REGION"] = region = region or self.ice_region
        endpoint = self.ice_endpoints.get(region) or self.ice_endpoint
        if endpoint:
            env["ICE_ENDPOINT"] = endpoint
        return env


def load_secrets_manager_json(arn: str) -> Mapping[str, Any]:
    """One signed GetSecretValue (no boto3: it would cost ~0.4 s of every cold start)."""
    import json

    from bot.aws import AwsClient, AwsError

    client = AwsClient()
    try:
        value = json.loads(client.get_secret_string(arn))
    except AwsError as error:
        raise ConfigError(
            f"Could not read the secret named by SECRETS_ARN ({error}): check that it exists "
            "and that the function may secretsmanager:GetSecretValue on it."
        ) from None
    except ValueError:
        raise ConfigError("The SECRETS_ARN secret must hold JSON.") from None
    finally:
        client.close()
    if not isinstance(value, dict):
        raise ConfigError("The SECRETS_ARN secret must hold a JSON object.")
    return value
