"""The service's error table, code by code: the emulator injects each one with its documented
status, and the real client over HTTP turns it into the right error, retried or not, with a
hint that says what to do."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.ice import (
    Credentials,
    IceAccountError,
    IceAuthError,
    IceClient,
    IceError,
    IceJobNotFoundError,
    IceParameterError,
    IceServiceError,
    IceThrottledError,
    RetryPolicy,
    StaticCredentials,
)
from bot.ice._enums import ACTION, GET_JOB_ACTION
from bot.ice._errors import ACTION_RULES, RULES, classify, hint_for
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, ERRORS, Emulator

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002, deadline=5)

# code, documented HTTP status, error class, retried, words the hint must hold
TABLE: list[tuple[str, int, type[IceError], bool, str]] = [
    # the IMS error table (ice-service-facts.md)
    ("MissingParameter", 400, IceParameterError, False, "report this"),
    ("InvalidParameter", 400, IceParameterError, False, "check the filters"),
    ("OperationDenied", 403, IceAccountError, False, "activate Intelligent Media Services"),
    ("OperationDenied.Suspended", 403, IceAccountError, False, "overdue"),
    ("Forbidden", 403, IceAuthError, False, "infra/ram-policy.json"),
    ("RequestsTooFrequent", 403, IceThrottledError, True, "wait a moment"),
    ("ResourceNotFound", 404, IceParameterError, False, "ICE_REGION"),
    ("InternalError", 500, IceServiceError, True, "try again in a minute"),
    ("ServiceUnAvailable", 503, IceServiceError, True, "try again in a minute"),
    # the gateway's generic codes
    ("Throttling", 400, IceThrottledError, True, "wait a moment"),
    ("Throttling.User", 400, IceThrottledError, True, "wait a moment"),
    ("Throttling.Api", 400, IceThrottledError, True, "wait a moment"),
    ("ServiceUnavailable", 503, IceServiceError, True, "try again in a minute"),
    ("SignatureNonceUsed", 400, IceServiceError, True, "fresh nonce"),
    ("InvalidTimeStamp.Expired", 400, IceServiceError, True, "clock"),
    ("SignatureDoesNotMatch", 400, IceAuthError, False, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("IncompleteSignature", 400, IceAuthError, False, "report this"),
    ("InvalidAccessKeyId.NotFound", 404, IceAuthError, False, "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("InvalidAccessKeyId.Inactive", 400, IceAuthError, False, "enable it"),
    ("InvalidSecurityToken.Expired", 400, IceAuthError, False, "refresh the role credentials"),
    ("InvalidSecurityToken.Malformed", 400, IceAuthError, False, "ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("Forbidden.RAM", 403, IceAuthError, False, "infra/ram-policy.json"),
    ("NoPermission", 403, IceAuthError, False, "infra/ram-policy.json"),
    ("InvalidAction.NotFound", 404, IceParameterError, False, "ICE_ENDPOINT"),
    ("InvalidVersion", 400, IceParameterError, False, "ICE_ENDPOINT"),
]


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulator]:
    with Emulator(count=12, seed=2) as emulator:
        yield emulator


def test_the_table_covers_every_code_the_emulator_can_send() -> None:
    assert {code for code, *_ in TABLE} == set(ERRORS)
    assert {code: status for code, status, *_ in TABLE} == {c: s for c, (s, _) in ERRORS.items()}


@pytest.mark.parametrize(
    ("code", "status", "kind", "retried", "words"), TABLE, ids=[row[0] for row in TABLE]
)
def test_each_code_over_http(
    ice: Emulator, code: str, status: int, kind: type[IceError], retried: bool, words: str
) -> None:
    ice.faults.script[:] = [code] * FAST.max_attempts
    before = ice.calls
    client = IceClient(
        credentials=StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)),
        endpoint=ice.url,
        retry=FAST,
    )
    with client, pytest.raises(IceError) as info:
        client.list_smart_jobs()
    ice.faults.script.clear()
    error = info.value
    assert type(error) is kind
    assert (error.code, error.status) == (code, status)
    assert error.request_id, "the RequestId travels with the error"
    assert error.retryable is retried
    assert ice.calls - before == (FAST.max_attempts if retried else 1)
    assert error.attempts == ice.calls - before
    assert words in error.hint
    assert len(error.hint) <= 120, "hints are shown to users: short"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("throttling.user", IceThrottledError),
        ("THROTTLING", IceThrottledError),
        ("requeststoofrequent", IceThrottledError),
        ("SERVICEUNAVAILABLE", IceServiceError),
        ("serviceUnAvailable", IceServiceError),
        ("internalerror", IceServiceError),
        ("operationdenied.suspended", IceAccountError),
        ("Invalidparameter", IceParameterError),
        ("forbidden.ram", IceAuthError),
    ],
)
def test_codes_are_compared_case_insensitively(code: str, kind: type[IceError]) -> None:
    error = classify(code, "m", status=400, request_id="R")
    assert type(error) is kind
    assert error.code == code, "the code is kept as the service spelled it"
    canonical = next(c for c, *_ in TABLE if c.lower() == code.lower())
    assert error.hint == hint_for(canonical)


def test_every_rule_has_a_distinct_short_hint_per_meaning() -> None:
    hints = {code: hint for code, _, hint in RULES}
    assert hints["OperationDenied"] != hints["OperationDenied.Suspended"]
    assert hints["RequestsTooFrequent"] == hints["Throttling"]
    assert all(hint.endswith(".") and len(hint) <= 120 for hint in hints.values())


@pytest.mark.parametrize(
    ("status", "kind", "retried"),
    [(400, IceError, False), (429, IceThrottledError, True), (502, IceServiceError, True)],
)
def test_unknown_codes_fall_back_on_the_status(
    status: int, kind: type[IceError], retried: bool
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={"RequestId": "R9", "Code": "BrandNew.Code"})

    client = IceClient(
        credentials=StaticCredentials(Credentials("id", "secret")),
        endpoint="http://ice.test",
        transport=httpx.MockTransport(handler),
        retry=FAST,
        sleep=lambda _: None,
    )
    with pytest.raises(IceError) as info:
        client.list_smart_jobs()
    assert type(info.value) is kind
    assert len(seen) == (FAST.max_attempts if retried else 1)
    assert "RequestId" in info.value.hint


# -- GetSmartHandleJob: the same table, its own reading of a few codes ---------------------------

DETAILS_KIND = {
    "ResourceNotFound": IceJobNotFoundError,
}
DETAILS_WORDS = {
    "ResourceNotFound": "past year",
    "InvalidParameter": "JobId",
    "Forbidden": "ice:GetSmartHandleJob",
    "Forbidden.RAM": "ice:GetSmartHandleJob",
    "NoPermission": "ice:GetSmartHandleJob",
    "InvalidAction.NotFound": "GetSmartHandleJob",
    "InvalidVersion": "GetSmartHandleJob",
}


@pytest.mark.parametrize(
    ("code", "status", "kind", "retried", "words"), TABLE, ids=[row[0] for row in TABLE]
)
def test_each_code_over_http_for_details(
    ice: Emulator, code: str, status: int, kind: type[IceError], retried: bool, words: str
) -> None:
    ice.faults.script[:] = [code] * FAST.max_attempts
    before = ice.calls_for(GET_JOB_ACTION)
    client = IceClient(
        credentials=StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)),
        endpoint=ice.url,
        retry=FAST,
    )
    with client, pytest.raises(IceError) as info:
        client.get_smart_handle_job(ice.jobs[0]["JobId"])
    ice.faults.script.clear()
    error = info.value
    assert type(error) is DETAILS_KIND.get(code, kind)
    assert (error.code, error.status, error.retryable) == (code, status, retried)
    assert ice.calls_for(GET_JOB_ACTION) - before == (FAST.max_attempts if retried else 1)
    assert DETAILS_WORDS.get(code, words) in error.hint
    assert "ListSmartJobs" not in error.hint and "filters" not in error.hint
    assert len(error.hint) <= 120


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ResourceNotFound", IceJobNotFoundError),
        ("resourcenotfound.job", IceJobNotFoundError),
        ("InvalidParameter.JobId", IceJobNotFoundError),
        ("InvalidParameter.Other", IceParameterError),
        ("Forbidden.RAM", IceAuthError),
    ],
)
def test_details_read_some_codes_their_own_way(code: str, kind: type[IceError]) -> None:
    error = classify(code, "m", status=404, request_id="R", action=GET_JOB_ACTION)
    assert type(error) is kind
    assert error.hint == hint_for(code, GET_JOB_ACTION)
    listed = classify(code, "m", status=404, request_id="R")
    assert not isinstance(listed, IceJobNotFoundError), "the list keeps the common reading"


def test_action_rules_hints_are_short_and_name_no_other_action() -> None:
    for action, rules in ACTION_RULES.items():
        for code, _, hint in rules:
            assert hint.endswith(".") and len(hint) <= 120, code
            assert hint_for(code, action) == hint
    assert hint_for("Forbidden.RAM") == hint_for("Forbidden.RAM", ACTION)
    assert "ice:ListSmartJobs" in hint_for("NoPermission")
    assert "ice:GetSmartHandleJob" in hint_for("NoPermission", GET_JOB_ACTION)
    assert "{action}" not in hint_for("InvalidVersion", "AnyAction")
