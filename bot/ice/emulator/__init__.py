"""A local Alibaba Cloud ICE (``ListSmartJobs``, ``GetSmartHandleJob``) for tests, benchmarks
and ``make demo``.

It checks ACS3-HMAC-SHA256 signatures with the project's own signer, answers
with the service's JSON shapes and error codes, pages with opaque NextTokens,
and can inject throttling, 5xx, latency, hangs and broken bodies on cue. Like the
service, it leaves ``TotalCount`` out unless asked (``total_count=True``); ``untidy=RATE``
mixes every odd value the tolerant reader handles into the jobs (:data:`UNTIDY_VARIANTS`).
``GetSmartHandleJob`` answers a job's details: seeded ``ErrorCode``/``ErrorMessage`` pairs for
failed jobs, a ``JobResult`` for finished ones, ``ResourceNotFound`` for unknown ids and for
jobs created more than a year before the emulator's clock.

    with Emulator(count=200) as ice:
        ...  # point IceClient at ice.url with DEMO_ACCESS_KEY_ID / DEMO_ACCESS_KEY_SECRET

``Emulator(live=True, clock=...)`` makes the world move (jobs arrive; running ones finish or
fail, a long translation hours after it was created): ``ice.advance(timedelta(minutes=10))``
applies what is due and returns it, ``ice.fail(job_id)`` fails a job now. ``Emulators(
["cn-shanghai", "cn-beijing"])`` serves each region its own dataset on its own port
(``.ice_endpoints`` is the ``ICE_ENDPOINTS`` value).

Refusals, in the order they are checked (body ``{RequestId, HostId, Code, Message,
Recommend}``, the RequestId also in ``x-acs-request-id``):

- path other than ``/`` -> ``InvalidAction.NotFound`` 404
- no/garbled ``Authorization``, unsigned ``host``/``x-acs-*`` header, or a signed
  header that is absent -> ``IncompleteSignature`` 400 (signature V2, HMAC-SHA1 in
  the query, lands here too: only ACS3-HMAC-SHA256 is accepted)
- ``x-acs-action``/``-version``/``-date``/``-signature-nonce`` absent -> ``MissingParameter`` 400
- other action -> ``InvalidAction.NotFound`` 404; other version -> ``InvalidVersion`` 400
- ``x-acs-date`` unparseable or beyond ``max_skew`` -> ``InvalidTimeStamp.Expired`` 400
- unknown AccessKey -> ``InvalidAccessKeyId.NotFound`` 404
- body hash or signature wrong -> ``SignatureDoesNotMatch`` 400 (message shows the
  server's string to sign, as the service does)
- STS token missing, wrong, or sent with a non-STS key -> ``InvalidSecurityToken.Malformed`` 400
- nonce reused (per AccessKey, last 100 000 remembered) -> ``SignatureNonceUsed`` 400
- bad parameter or NextToken -> ``InvalidParameter`` 400, the message names it
- GetSmartHandleJob without ``JobId`` -> ``MissingParameter`` 400; an unknown job, or one
  created more than a year ago -> ``ResourceNotFound`` 404
- injected, any code of :data:`ERRORS` by name with its documented status (the IMS
  table: ``OperationDenied``/``.Suspended``, ``Forbidden``, ``RequestsTooFrequent`` 403,
  ``ResourceNotFound`` 404, ``InternalError`` 500, ``ServiceUnAvailable`` 503; the gateway's
  ``Throttling*`` 400…), or at random rates; see :class:`Faults`.
"""

from __future__ import annotations

from bot.ice.emulator._cli import serve
from bot.ice.emulator._dataset import AWKWARD_CASES, generate_jobs
from bot.ice.emulator._errors import ERRORS
from bot.ice.emulator._faults import Faults
from bot.ice.emulator._http import Emulator
from bot.ice.emulator._live import Change, Live
from bot.ice.emulator._regional import Emulators, parse_regions, region_seed
from bot.ice.emulator._untidy import DETAIL_VARIANTS as UNTIDY_DETAIL_VARIANTS
from bot.ice.emulator._untidy import VARIANTS as UNTIDY_VARIANTS
from bot.ice.emulator._verify import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

__all__ = [
    "AWKWARD_CASES",
    "DEMO_ACCESS_KEY_ID",
    "DEMO_ACCESS_KEY_SECRET",
    "ERRORS",
    "UNTIDY_DETAIL_VARIANTS",
    "UNTIDY_VARIANTS",
    "Change",
    "Emulator",
    "Emulators",
    "Faults",
    "Live",
    "generate_jobs",
    "parse_regions",
    "region_seed",
    "serve",
]
