"""`smartjobs`: the same answers in a terminal, the emulator, a local server, the demo.

Every error is one line on stderr, never a traceback: exit 2 for a mistake in what was typed
or configured, 1 when a service (ICE, Slack) failed. Options and filters mix in any order
(``smartjobs query failed --json asr``). Retries and library chatter stay quiet unless
``-v``.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, NoReturn

from bot import filters
from bot.config import ConfigError, ice_endpoint, ice_region
from bot.names import CLI
from bot.query import Query

if TYPE_CHECKING:
    from bot.ice import IceClient

QUERY = f"{CLI} query"
USER_ERROR, SERVICE_ERROR = 2, 1


class CliError(Exception):
    """A user-facing problem with the command line or the environment (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """argparse's own mistakes, one line like ours (its default prints usage first)."""
        raise CliError(f"{message} (see: {self.prog} --help)")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = _parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # filters after an option: `query failed --json asr`
            if not hasattr(args, "filters") or any(word.startswith("-") for word in extra):
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            args.filters = [*args.filters, *extra]
        _quiet(verbose=args.verbose)
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `smartjobs query | head`: the reader has all it wanted
        _mute_stdout()
        return 0
    except SystemExit as exit:  # --help, --version
        return int(exit.code or 0) if not isinstance(exit.code, str) else USER_ERROR
    except Exception as error:
        return _report(error)
    return code


def _report(error: Exception) -> int:
    """One line on stderr for any failure; the exit code says whose it was."""
    from bot.ice import IceError

    if isinstance(error, filters.FilterError):
        line, code = f"{error} ({_short_usage()})", USER_ERROR
    elif isinstance(error, IceError):
        from bot.ice import CredentialsError
        from bot.render import ice_error_headline

        rid = f" (RequestId {error.request_id})" if error.request_id else ""
        said = error.message.rstrip(". ")
        line = f"{ice_error_headline(error)}: {error.code}: {said}{rid}. {error.hint}"
        code = USER_ERROR if isinstance(error, CredentialsError) else SERVICE_ERROR
    elif isinstance(error, CliError | ConfigError):
        line, code = str(error), USER_ERROR
    else:
        logging.getLogger("bot.cli").debug("unexpected failure", exc_info=True)
        line, code = f"unexpected error ({type(error).__name__}); run with -v for details", 1
    print(f"{CLI}: {' '.join(line.split())}", file=sys.stderr)
    return code


def _short_usage() -> str:
    return (
        f"usage: {QUERY} [state] [type] [newest|oldest] [1-100] [since:2h] [region:…]; {QUERY} help"
    )


def _quiet(*, verbose: bool) -> None:
    """Retries and the credential chain's own logging only with ``-v``."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format=f"{CLI}: %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for name in ("credentials", "alibabacloud_credentials", "bot"):
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.CRITICAL)
    for name in ("httpx", "httpcore"):  # a line per request: more than -v asks for
        logging.getLogger(name).setLevel(logging.WARNING)
    # Without it, alibabacloud-credentials probes the ECS metadata address when no key is set.
    os.environ.setdefault("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")


def _mute_stdout() -> None:
    """After a broken pipe, let the interpreter's final flush go nowhere instead of failing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 1_000_000:
        raise argparse.ArgumentTypeError(f"a number from 0 to 1,000,000, not {text!r}")
    return int(text)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share from 0 to 1 (e.g. 0.05), not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 60.0:
        raise argparse.ArgumentTypeError(f"seconds from 0 to 60, not {text!r}")
    return value


def _window(text: str) -> str:
    try:
        filters.duration(text)
    except filters.FilterError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=CLI,
        description="Alibaba Cloud ICE smart jobs, from Slack or a terminal.",
        epilog=f"Filters are the same words as in Slack: `{QUERY} help` lists them.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show retries and details")
    sub = parser.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)

    def command(name: str, run: Callable[[argparse.Namespace], int], **kw: Any) -> Any:
        sub_parser = sub.add_parser(name, **kw)
        sub_parser.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
        sub_parser.set_defaults(run=run)
        return sub_parser

    q = command("query", _query, help="list jobs in the terminal (ICE or ICE_ENDPOINT)")
    q.add_argument("filters", nargs="*", help="e.g. failed asr 20, since:2h, oldest")
    q.add_argument("--json", action="store_true", help="print the page as JSON")
    q.add_argument("--token", help="a NextToken from a previous page")

    j = command("job", _job, help="one job's details: why it failed, its input, output, result")
    j.add_argument("job_id", metavar="JOB_ID", help="the job id a list shows")
    j.add_argument("--json", action="store_true", help="print GetSmartHandleJob's answer as JSON")
    j.add_argument("--region", help="the job's region (default: ICE_REGION)")

    e = command("emulator", _emulator, help="run the local ICE emulator")
    e.add_argument("--port", type=_port, default=8787)
    e.add_argument("--jobs", type=_count, default=500, help="how many jobs to generate")
    e.add_argument("--seed", type=int, default=7)
    e.add_argument("--throttle-rate", type=_rate, default=0.0, help="share of requests throttled")
    e.add_argument("--error-rate", type=_rate, default=0.0, help="share of requests failing 5xx")
    e.add_argument("--latency", type=_seconds, default=0.0, help="seconds added to every answer")
    e.add_argument("--total-count", action="store_true", help="include TotalCount in pages")
    e.add_argument("--untidy", type=_rate, default=0.0, metavar="RATE", help="share of odd jobs")
    e.add_argument("--live", action="store_true", help="jobs arrive, finish and fail over time")
    e.add_argument(
        "--regions",
        metavar="R1,R2",
        help="serve these regions, each its own jobs on its own port from --port on",
    )

    s = command(
        "serve", _serve, help="the Bolt app over HTTP at POST /slack/events, or over Socket Mode"
    )
    s.add_argument("--port", type=_port, default=3000)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument(
        "--socket",
        action="store_true",
        help="connect to Slack over Socket Mode with SLACK_APP_TOKEN (xapp-…): no public URL",
    )

    d = command(
        "demo",
        _demo,
        help="the whole bot end to end on the embedded emulator; `demo watch`: alerts",
    )
    d.add_argument("filters", nargs="*", help="default: failed asr; watch [filters]: a watch")
    d.add_argument("--no-input", action="store_true", help="never prompt; press Next page once")

    w = command("watch", _watch, help="one watch poll (posts alerts to Slack), or list the watches")
    w.add_argument("what", choices=["poll", "list"], help="poll: one poll now; list: the watches")

    g = command("digest", _digest, help="print the digest, or post it to DIGEST_CHANNEL")
    g.add_argument("--window", type=_window, default="24h", help="a duration: 24h, 7d, 90m")
    g.add_argument(
        "--post", action="store_true", help="post to DIGEST_CHANNEL with SLACK_BOT_TOKEN"
    )
    return parser


def _query(args: argparse.Namespace) -> int:
    from bot.lookup import fetch_page
    from bot.policy import parse_allowed
    from bot.render import PageView, render_page_text

    query = parse_allowed(" ".join(args.filters))
    if query.action == "help":
        print(filters.help_text(QUERY, plain=True))
        return 0
    if query.action == "digest":
        return _print_digest(query)
    if query.action == "job":
        return _print_job(str(query.target), query, as_json=args.json)
    if query.action != "list":
        raise CliError(
            f"{query.action} is a Slack command: type /smartjobs {' '.join(args.filters)} in a"
            f" channel ({CLI} watch list shows the watches)"
        )
    with _client(query) as client:
        page = fetch_page(client, query, args.token, now=datetime.now(UTC))
        if args.json:
            print(json.dumps(page.to_json(), indent=2, ensure_ascii=False))
            return 0
        view = PageView(
            query=query,
            page=page,
            region=client.region,
            now=datetime.now(UTC),
            next_value=page.next_token,
        )
        print(render_page_text(view, tz=_local_tz()))
        if page.next_token:
            words = " ".join(args.filters)
            print(f"\nNext page: {QUERY} {words} --token {_shell_word(page.next_token)}")
    return 0


def _job(args: argparse.Namespace) -> int:
    from bot.policy import parse_allowed

    try:
        job_id = filters.job_id(args.job_id)
    except filters.FilterError as error:
        raise CliError(f"{error} Give one id as a list shows it: {CLI} job JOB_ID") from None
    query = parse_allowed(f"region:{args.region}" if args.region else "")
    return _print_job(job_id, query, as_json=args.json)


def _print_job(job_id: str, query: Query, *, as_json: bool) -> int:
    from bot.render import render_details_text

    with _client(query) as client:
        details = client.get_smart_handle_job(job_id)
        if as_json:
            print(json.dumps(details.to_json(), indent=2, ensure_ascii=False))
            return 0
        now = datetime.now(UTC)
        print(
            render_details_text(
                details, job_id=job_id, region=client.region, now=now, tz=_local_tz()
            ),
            end="",
        )
    return 0


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _client(query: Query) -> IceClient:
    """A client for the query's region, from the environment, its settings checked first."""
    from bot.ice import IceClient

    region = query.region or ice_region(os.environ.get("ICE_REGION"))
    endpoint = ice_endpoint(os.environ.get("ICE_ENDPOINT"))
    env = {k: v for k, v in os.environ.items() if k.startswith("ALIBABA_CLOUD_")}
    env["ICE_REGION"] = region
    if endpoint:
        env["ICE_ENDPOINT"] = endpoint
    return IceClient.from_env(env)


def _local_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def _listening(bind: Callable[[], Any], host: str, port: int) -> Any:
    """Bind, or one line that says why not (port in use, no such host, not allowed)."""
    try:
        return bind()
    except socket.gaierror:
        raise CliError(f"cannot listen on {host!r}: no such host or address") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {port} on {host} is in use: pick another with --port, or stop what uses it"
            ) from None
        if error.errno in (errno.EACCES, errno.EPERM):
            raise CliError(f"not allowed to listen on port {port}: use a port above 1023") from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise CliError(f"cannot listen on {host!r}: not an address of this machine") from None
        raise CliError(f"cannot listen on {host}:{port} ({error.strerror})") from None


def _emulator(args: argparse.Namespace) -> int:
    from bot.ice.emulator import Faults, parse_regions, serve

    faults = Faults(
        throttle_rate=args.throttle_rate, error_rate=args.error_rate, latency=args.latency
    )
    try:
        regions = parse_regions(args.regions) if args.regions is not None else None
    except ValueError as error:
        raise CliError(str(error)) from None
    _listening(
        lambda: serve(
            port=args.port,
            count=args.jobs,
            seed=args.seed,
            faults=faults,
            total_count=args.total_count,
            untidy=args.untidy,
            live=args.live,
            regions=regions,
        ),
        "127.0.0.1",
        args.port,
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.config import Settings
    from bot.local.server import make, run
    from bot.services import Services

    if args.socket:
        return _serve_socket()
    settings = Settings.from_env()
    server = _listening(
        lambda: make(args.host, args.port, Services(settings=settings)), args.host, args.port
    )
    run(server, args.host)
    return 0


def _serve_socket() -> int:
    """Socket Mode: a token Slack refuses is the user's to fix (2), Slack unreachable is 1."""
    from bot.local import socket as socket_mode
    from bot.services import Services

    token = socket_mode.app_token(os.environ.get(socket_mode.APP_TOKEN))
    services = Services(settings=socket_mode.settings_from_env())
    try:
        session = socket_mode.connect(services, token)
    except socket_mode.SocketModeUnavailable as error:
        print(f"{CLI}: {error}", file=sys.stderr)
        return SERVICE_ERROR
    try:
        socket_mode.run(session)
    finally:
        services.close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.local.demo import is_interactive, run_demo

    interactive = is_interactive() and not args.no_input
    if args.filters[:1] == ["watch"]:
        from bot.local.watch_demo import run_watch_demo

        return run_watch_demo(args.filters[1:], interactive=interactive)
    return run_demo(" ".join(args.filters) or "failed asr", interactive=interactive)


def _watch(args: argparse.Namespace) -> int:
    """``watch poll``: one poll, alerts posted through SLACK_API_URL; ``watch list``."""
    from bot.config import Settings
    from bot.services import Services

    settings = Settings.from_env(needs=() if args.what == "list" else ("SLACK_BOT_TOKEN",))
    services = Services(
        settings=settings, ice_factory=lambda s, region: _client(Query(region=region))
    )
    store = services.watches()
    if args.what == "list":
        watches = store.watches()
        if not watches:
            print(f"No watches ({settings.watch_table or settings.state_db}).")
        for watch in watches:
            state = f" paused: {watch.paused}" if watch.paused else ""
            print(
                f"{watch.id}  {watch.channel}  {watch.query}  by {watch.created_by}  "
                f"since {watch.created:%Y-%m-%d %H:%M} UTC{state}"
            )
        return 0
    from slack_sdk import WebClient

    from bot.watch.poll import poll

    report = poll(
        store,
        services.ice,
        WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        now=datetime.now(UTC),
        lookback=settings.watch_lookback,
        default_region=settings.ice_region,
    )
    services.close()
    print(
        f"{CLI}: polled {report.watches} watches with {report.ice_requests} ICE requests: "
        f"{report.alerts} alerts ({report.jobs_alerted} jobs)"
        + (f", {len(report.failed)} failed (see above)" if report.failed else "")
    )
    return SERVICE_ERROR if report.failed else 0


def _digest(args: argparse.Namespace) -> int:
    query = Query(action="digest", since=filters.duration(args.window))
    if args.post:
        return _post_digest(query)
    return _print_digest(query)


def _print_digest(query: Query) -> int:
    from bot.digest.scan import DEFAULT_WINDOW, build_digest
    from bot.render import render_digest_text

    window = query.since or DEFAULT_WINDOW
    from bot.digest.delivery import with_error_codes

    with _client(query) as client:
        stats = build_digest(client, window=window, now=datetime.now(UTC))
        stats = with_error_codes(stats, lambda region: client, client.region)
        print(render_digest_text(stats, region=client.region, tz=_local_tz()))
    return 0


def _post_digest(query: Query) -> int:
    from slack_sdk import WebClient

    from bot.config import Settings
    from bot.digest.delivery import deliver_digest
    from bot.digest.scan import DEFAULT_WINDOW

    settings = Settings.from_env(needs=("SLACK_BOT_TOKEN",))
    if not settings.digest_channel:
        raise CliError("DIGEST_CHANNEL is not set: give the channel id (C…) to post to.")
    window = query.since or DEFAULT_WINDOW
    slack = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    with _client(query) as client:
        result = deliver_digest(
            client,
            slack,
            channel=settings.digest_channel,
            now=datetime.now(UTC),
            window=window,
            region=client.region,
        )
    if not result.posted:
        from bot.slack.delivery import Refusal

        why = result.error or "unknown"
        fix = Refusal(why.removeprefix("slack:"), setting="DIGEST_CHANNEL").hint
        print(f"{CLI}: the digest was not posted ({why}). Fix: {fix}", file=sys.stderr)
        return SERVICE_ERROR
    print(f"{CLI}: digest posted to {settings.digest_channel} (ts {result.ts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
