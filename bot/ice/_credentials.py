"""Where AccessKeys come from. ``alibabacloud-credentials`` is imported only when first asked:
it costs ~0.25 s and ~15 MB, which the Slack ack path must not pay."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.ice._errors import CredentialsError

_MISSING_HINT = (
    "Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET "
    "(or SECRETS_ARN, or ALIBABA_CLOUD_ROLE_ARN with a key pair)."
)


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


class CredentialsProvider(Protocol):
    def get_credentials(self) -> Credentials: ...


@dataclass(frozen=True, slots=True)
class StaticCredentials:
    """A fixed pair (tests, the demo, the emulator)."""

    credentials: Credentials

    def get_credentials(self) -> Credentials:
        return self.credentials


class DefaultCredentials:
    """The ``alibabacloud-credentials`` chain, asked per request so rotating STS keys work."""

    def __init__(self, config: Any = None) -> None:
        self._config = config
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "DefaultCredentials()"

    def _chain(self) -> Any:
        with self._lock:
            if self._client is None:
                from alibabacloud_credentials.client import Client

                try:
                    self._client = Client(self._config)
                except Exception as exc:  # the library raises bare exceptions
                    raise _missing(exc) from None
            return self._client

    def get_credentials(self) -> Credentials:
        try:
            found = self._chain().get_credential()
        except CredentialsError:
            raise
        except Exception as exc:
            raise _missing(exc) from None
        key_id, secret = found.access_key_id, found.access_key_secret
        if not key_id or not secret:
            raise CredentialsError(
                "MissingCredentials", "No AccessKey was found.", hint=_MISSING_HINT
            )
        return Credentials(key_id, secret, found.security_token or None)


def _missing(exc: Exception) -> CredentialsError:
    # The library's messages can quote config values; keep only its class name.
    return CredentialsError(
        "MissingCredentials",
        f"Alibaba Cloud credentials could not be loaded ({type(exc).__name__}).",
        hint=_MISSING_HINT,
    )


def credentials_from_env(environ: Mapping[str, str]) -> CredentialsProvider:
    """Build the provider from explicit variables (read now, not at library import time)."""
    key_id = environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
    secret = environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
    token = environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None
    role_arn = environ.get("ALIBABA_CLOUD_ROLE_ARN", "")
    if key_id and secret and not role_arn:
        return StaticCredentials(Credentials(key_id, secret, token))
    if key_id and secret and role_arn:
        return DefaultCredentials(
            _config(
                type="ram_role_arn",
                access_key_id=key_id,
                access_key_secret=secret,
                security_token=token,
                role_arn=role_arn,
                role_session_name=environ.get("ALIBABA_CLOUD_ROLE_SESSION_NAME", "smartjobs"),
            )
        )
    return DefaultCredentials()


def _config(**kwargs: Any) -> Any:
    from alibabacloud_credentials.models import Config

    return Config(**kwargs)
