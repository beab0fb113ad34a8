"""`smartjobs`: the same answers in a terminal, the emulator, a local server, the demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from bot import filters
from bot.ice import IceClient, IceError
from bot.query import Query


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        return 130
    except filters.FilterError as error:
        print(f"smartjobs: {error}\n\n{error.usage}", file=sys.stderr)
        return 2
    except IceError as error:
        rid = f" (RequestId {error.request_id})" if error.request_id else ""
        print(
            f"smartjobs: {error.code}: {error.message}{rid}\n  hint: {error.hint}", file=sys.stderr
        )
        return 1
    except CliError as error:
        print(f"smartjobs: {error}", file=sys.stderr)
        return 2


class CliError(Exception):
    """A user-facing problem with the command line or the environment."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartjobs",
        description="Alibaba Cloud ICE smart jobs, from Slack or a terminal.",
        epilog="Filters are the same words as in Slack: `smartjobs query help` lists them.",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    q = sub.add_parser("query", help="list jobs in the terminal (ICE or ICE_ENDPOINT)")
    q.add_argument("filters", nargs="*", help="e.g. failed asr 20, since:2h, oldest")
    q.add_argument("--json", action="store_true", help="print the page as JSON")
    q.add_argument("--token", help="a NextToken from a previous page")
    q.set_defaults(run=_query)

    e = sub.add_parser("emulator", help="run the local ICE emulator")
    e.add_argument("--port", type=int, default=8787)
    e.add_argument("--jobs", type=int, default=500, help="how many jobs to generate")
    e.add_argument("--seed", type=int, default=7)
    e.add_argument("--throttle-rate", type=float, default=0.0, help="share of requests throttled")
    e.add_argument("--error-rate", type=float, default=0.0, help="share of requests failing 5xx")
    e.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    e.add_argument("--total-count", action="store_true", help="include TotalCount in pages")
    e.add_argument("--untidy", type=float, default=0.0, metavar="RATE", help="share of odd jobs")
    e.set_defaults(run=_emulator)

    s = sub.add_parser("serve", help="the Bolt app over HTTP at POST /slack/events")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--host", default="127.0.0.1")
    s.set_defaults(run=_serve)

    d = sub.add_parser("demo", help="the whole bot end to end on the embedded emulator")
    d.add_argument("filters", nargs="*", help="default: failed asr")
    d.add_argument("--no-input", action="store_true", help="never prompt; press Next page once")
    d.set_defaults(run=_demo)

    g = sub.add_parser("digest", help="print the digest, or post it to DIGEST_CHANNEL")
    g.add_argument("--window", default="24h", help="e.g. 24h, 7d (default 24h)")
    g.add_argument(
        "--post", action="store_true", help="post to DIGEST_CHANNEL with SLACK_BOT_TOKEN"
    )
    g.set_defaults(run=_digest)
    return parser


def _query(args: argparse.Namespace) -> int:
    from bot.answers import check_query, fetch_page
    from bot.render import PageView, render_page_text

    query = check_query(filters.parse(" ".join(args.filters)))
    if query.action == "help":
        from bot.render._slack_text import mrkdwn_to_text

        print(mrkdwn_to_text(filters.HELP_TEXT))
        return 0
    if query.action == "digest":
        return _print_digest(query)
    with _client(query) as client:
        page = fetch_page(client, query, args.token, now=datetime.now(UTC))
        if args.json:
            print(json.dumps(page.to_json(), indent=2, ensure_ascii=False))
            return 0
        view = PageView(query=query, page=page, region=client.region, now=datetime.now(UTC))
        print(render_page_text(view, tz=_local_tz()))
        if page.next_token:
            print(
                f"\nNext page: smartjobs query {' '.join(args.filters)} --token {page.next_token}"
            )
    return 0


def _client(query: Query) -> IceClient:
    return IceClient.from_env(region=query.region)


def _local_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def _emulator(args: argparse.Namespace) -> int:
    from bot.ice.emulator import Faults, serve

    faults = Faults(
        throttle_rate=args.throttle_rate, error_rate=args.error_rate, latency=args.latency
    )
    serve(
        port=args.port,
        count=args.jobs,
        seed=args.seed,
        faults=faults,
        total_count=args.total_count,
        untidy=args.untidy,
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.server import serve

    serve(host=args.host, port=args.port)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import is_interactive, run_demo

    text = " ".join(args.filters) or "failed asr"
    return run_demo(text, interactive=is_interactive() and not args.no_input)


def _digest(args: argparse.Namespace) -> int:
    query = filters.parse(f"digest since:{args.window}")
    if args.post:
        return _post_digest(query)
    return _print_digest(query)


def _print_digest(query: Query) -> int:
    from bot.digest import DEFAULT_WINDOW, build_digest
    from bot.render import render_digest_text

    window = query.since or DEFAULT_WINDOW
    with _client(query) as client:
        stats = build_digest(client, window=window, now=datetime.now(UTC))
        print(render_digest_text(stats, region=client.region, tz=_local_tz()))
    return 0


def _post_digest(query: Query) -> int:
    from slack_sdk import WebClient

    from bot.answers import show_failed_value
    from bot.config import ConfigError, Settings
    from bot.digest import DEFAULT_WINDOW, deliver_digest

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise CliError(str(error)) from None
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
            show_failed_value=show_failed_value(window, query.region),
        )
    if not result.posted:
        raise CliError(f"the digest was not posted ({result.error}); see the log line above.")
    print(f"smartjobs: digest posted to {settings.digest_channel} (ts {result.ts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
