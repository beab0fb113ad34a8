"""Every secret value the suite hands to the product: none may reach a log line or a Slack message.

Test files keep their own constants; this list repeats them (a test below checks the
demo ones stay in step). Values shorter than 8 characters ("s", "wrong") are left out:
they would match ordinary text.
"""

from __future__ import annotations

from bot.ice.emulator import DEMO_ACCESS_KEY_SECRET
from bot.local.demo import DEMO_BOT_TOKEN, DEMO_SIGNING_SECRET
from bot.local.socket_stub import DEMO_APP_TOKEN

SECRETS: dict[str, str] = {
    # the demo deployment (bot/demo.py, the emulator's documented pair)
    "demo Slack signing secret": DEMO_SIGNING_SECRET,
    "demo Slack bot token": DEMO_BOT_TOKEN,
    "demo AccessKey secret": DEMO_ACCESS_KEY_SECRET,
    "demo Slack app-level token": DEMO_APP_TOKEN,
    # tests/test_client_transport.py
    "transport AccessKey secret": "super-secret-value-1234",
    "transport STS token": "sts-token-value-5678",
    # tests/test_client_emulator.py, tests/test_emulator.py
    "STS AccessKey secret": "sts-secret",
    "STS token": "sts-token",
    "other STS token": "other-token",
    "wrong AccessKey secret": "wrong-secret",
    "role AccessKey secret": "role-secret",
    "plain AccessKey secret": "plain-secret",
    "role STS token": "the-token",
    "another STS token": "another-token",
    "env AccessKey secret": "env-secret-value",
    "not-the-secret": "not-the-secret",
    # the official SDK recordings (tests/data/ice-official-sdk-requests.json)
    "SDK recording AccessKey secret": "testsecret",
    "SDK recording STS token": "testststoken",
    # tests/test_digest_delivery.py
    "digest AccessKey secret": "digest-test-secret",
    "digest bot token": "xoxb-test",
    # tests/test_slack_e2e.py, tests/test_infra.py
    "e2e wrong AccessKey secret": "definitely-wrong-secret-value",
    "infra signing secret": "test-signing-secret",
    "infra other signing secret": "another-secret",
    # tests/test_faults.py
    "faults STS AccessKey secret": "faults-sts-secret",
    "faults STS token": "faults-sts-token-current",
    "faults expired STS token": "faults-sts-token-expired",
    # tests/test_socket_mode.py
    "socket wrong app-level token": "xapp-1-A0DEMO-1-not-the-demo-app-token",
    "socket bot token given as the app token": "xoxb-1234-5678-the-bot-token-instead",
    "socket malformed app token": "A0DEMO-something-else",
}
