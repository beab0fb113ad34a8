"""The client's default transport (bot/_transport.py) against the emulator over real HTTP:
keep-alive, reconnecting after the server closed an idle connection, timeouts and refusals as
httpx errors, threads, the pool bound, proxies from the environment, no garbage cycles."""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from bot._transport import LeanTransport
from bot.ice import (
    Credentials,
    IceClient,
    IceTransportError,
    RetryPolicy,
    StaticCredentials,
)
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator, Faults

DEMO = StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture
def ice() -> Iterator[Emulator]:
    with Emulator(count=30, seed=4) as emulator:
        yield emulator


def client_for(url: str, **kwargs: object) -> IceClient:
    kwargs.setdefault("retry", ONCE)
    return IceClient(credentials=DEMO, endpoint=url, **kwargs)  # type: ignore[arg-type]


def test_it_is_the_default_and_keeps_one_connection_alive(ice: Emulator) -> None:
    with client_for(ice.url) as client:
        assert isinstance(client._http._transport, LeanTransport)
        pages = [client.list_smart_jobs(max_results=5) for _ in range(5)]
        assert len(ice._server.connections) == 1
    assert all(len(page.smart_job_list) == 5 for page in pages)
    assert ice.calls == 5


def test_a_connection_the_server_closed_while_idle_is_replaced_silently(ice: Emulator) -> None:
    with client_for(ice.url) as client:
        client.list_smart_jobs()
        ice._server.close_connections()  # as a server's keep-alive timeout would
        page = client.list_smart_jobs(max_results=3)
    assert len(page.smart_job_list) == 3
    assert ice.calls == 2, "the dead connection carried nothing; one fresh request did"


def test_a_hung_answer_is_a_timeout() -> None:
    faults = Faults(script=["timeout"], hang=30.0)
    with (
        Emulator(count=5, faults=faults) as emulator,
        client_for(emulator.url, timeout=httpx.Timeout(0.3, connect=2.0)) as client,
    ):
        with pytest.raises(IceTransportError) as info:
            client.list_smart_jobs()
        assert info.value.code == "Timeout" and "ReadTimeout" in info.value.message
        assert len(client.list_smart_jobs().smart_job_list) == 5, "the next call is fine"


def test_a_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        with (
            client_for(f"http://127.0.0.1:{port}") as client,
            pytest.raises(IceTransportError) as info,
        ):
            client.list_smart_jobs()
    assert info.value.code == "ConnectionError" and "ConnectError" in info.value.message


def test_a_server_that_closes_without_answering_is_a_protocol_error() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def slam() -> None:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.close()

        thread = threading.Thread(target=slam)
        thread.start()
        with (
            client_for(f"http://127.0.0.1:{port}") as client,
            pytest.raises(IceTransportError) as info,
        ):
            client.list_smart_jobs()
        thread.join(timeout=5)
    assert info.value.code == "ConnectionError" and "RemoteProtocolError" in info.value.message


def test_threads_share_one_client(ice: Emulator) -> None:
    errors: list[BaseException] = []
    counts: list[int] = []
    lock = threading.Lock()
    with client_for(ice.url) as client:

        def work() -> None:
            try:
                for _ in range(5):
                    got = len(client.list_smart_jobs(max_results=4).smart_job_list)
                    with lock:
                        counts.append(got)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == [] and counts == [4] * 40
    assert ice.calls == 40


def test_no_slot_free_within_the_pool_timeout_is_a_pool_timeout(ice: Emulator) -> None:
    transport = LeanTransport(max_connections=1)
    with client_for(ice.url, transport=transport, timeout=httpx.Timeout(5.0, pool=0.05)) as client:
        transport._slots.acquire()  # another request holds the only connection
        try:
            with pytest.raises(IceTransportError) as info:
                client.list_smart_jobs()
        finally:
            transport._slots.release()
        assert "PoolTimeout" in info.value.message
        assert len(client.list_smart_jobs().smart_job_list) == 10
    assert ice.calls == 1


def test_proxies_from_the_environment_still_apply(
    ice: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx routes proxied URLs to its own proxy transport: the emulator plays the proxy and,
    the signature being for the public host, answers as that host would."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", ice.url)
    with client_for("http://ice.cn-shanghai.example") as client:
        assert not isinstance(client._http._transport, LeanTransport)
        page = client.list_smart_jobs(max_results=2)
    assert len(page.smart_job_list) == 2 and ice.calls == 1
    monkeypatch.setenv("NO_PROXY", "ice.cn-shanghai.example")
    with client_for("http://ice.cn-shanghai.example") as client:
        assert isinstance(client._http._transport, LeanTransport), "exempt: direct, lean"


def test_a_call_leaves_no_garbage_cycles(ice: Emulator) -> None:
    """Cyclic garbage makes the collector run, and a full pass costs more than a call."""
    with client_for(ice.url) as client:
        client.list_smart_jobs()
        gc.collect()
        gc.disable()
        try:
            for _ in range(20):
                client.list_smart_jobs()
            found = gc.collect()
        finally:
            gc.enable()
    assert found == 0
