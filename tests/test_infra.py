"""Deployment artefacts: the SAM template, the Slack manifest, the RAM policy,
the sample events, and (when `make build` has run) the built Lambda package."""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import hmac
import io
import json
import re
import time
import urllib.parse
import zipfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
INFRA = ROOT / "infra"
EVENTS = INFRA / "events"
BUILD_DIR = ROOT / ".aws-sam" / "build" / "SmartJobsFunction"

HTTP_EVENTS = [
    "function-url-slash-command.json",
    "http-api-v2-slash-command.json",
    "rest-v1-slash-command.json",
    "function-url-block-actions.json",
]
PLACEHOLDER_TIMESTAMP = "0"
PLACEHOLDER_SIGNATURE = "v0=" + "0" * 64
SLASH_EVENTS = [name for name in HTTP_EVENTS if name.endswith("slash-command.json")]


# --- loading -------------------------------------------------------------------------------


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into their long form:
    `!Sub x` -> {"Fn::Sub": x}, `!Ref x` -> {"Ref": x}, `!GetAtt a.b` -> {"Fn::GetAtt": ["a", "b"]}."""


def _construct_cfn_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_cfn_tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)  # a SafeLoader subclass


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    resource = template["Resources"]["SmartJobsFunction"]
    assert resource["Type"] == "AWS::Serverless::Function"
    return resource


@pytest.fixture(scope="module")
def props(function: dict[str, Any]) -> dict[str, Any]:
    return function["Properties"]


def _policy_statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in props["Policies"]:
        assert isinstance(policy, dict) and "Statement" in policy, (
            f"only inline statements, no managed or SAM policy templates: {policy!r}"
        )
        statements.extend(policy["Statement"])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _refs(node: Any) -> set[str]:
    """Every logical id or parameter named by Ref, GetAtt or ${...} inside node."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(part.split("}", 1)[0].split(".")[0] for part in text.split("${")[1:])
                if not isinstance(value, str):
                    found |= _refs(value[1])
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _truth(condition: Any, template: dict[str, Any], params: dict[str, str]) -> bool:
    """A condition's value for the given parameter values (the others at their defaults)."""
    ((key, value),) = condition.items()
    if key == "Condition":
        return _truth(template["Conditions"][value], template, params)
    if key == "Fn::Not":
        return not _truth(value[0], template, params)
    if key == "Fn::And":
        return all(_truth(item, template, params) for item in value)
    if key == "Fn::Or":
        return any(_truth(item, template, params) for item in value)
    assert key == "Fn::Equals", key
    left, right = (_resolve(item, template, params) for item in value)
    return bool(left == right)


def _resolve(node: Any, template: dict[str, Any], params: dict[str, str] | None = None) -> Any:
    """node as CloudFormation would see it for these parameters: parameters, mappings and
    conditions resolved, ``AWS::NoValue`` items dropped; other Refs and Subs kept."""
    params = params or {}
    if isinstance(node, list):
        items = [_resolve(item, template, params) for item in node]
        return [item for item in items if item != {"Ref": "AWS::NoValue"}]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Ref" and value in template["Parameters"]:
            return params.get(value, template["Parameters"][value].get("Default"))
        if key == "Fn::FindInMap":
            mapping, top, second = value
            return template["Mappings"][mapping][top][second]
        if key == "Fn::If":
            name, yes, no = value
            chosen = yes if _truth(template["Conditions"][name], template, params) else no
            return _resolve(chosen, template, params)
    return {key: _resolve(value, template, params) for key, value in node.items()}


# --- template: the function ------------------------------------------------------------------


def test_function_runtime_architecture_and_limits(props: dict[str, Any]) -> None:
    runtime = props["Runtime"]
    assert runtime.startswith("python3.")
    assert tuple(int(part) for part in runtime.removeprefix("python").split(".")) >= (3, 12)
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.app.lambda_handler"
    assert props["Timeout"] >= 30, "the lazy listener and the digest do the ICE work"
    assert 256 <= props["MemorySize"] <= 2048
    assert props.get("Tracing", "PassThrough") == "PassThrough"


def test_function_has_an_explicit_name(props: dict[str, Any]) -> None:
    assert props["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-smartjobs"}


def test_function_url_is_public_because_slack_signs_requests(props: dict[str, Any]) -> None:
    # Slack cannot sign SigV4; the handler checks Slack's own signature (test_slack_e2e).
    assert props["FunctionUrlConfig"]["AuthType"] == "NONE"


def test_build_is_the_makefile_in_codeuri(function: dict[str, Any], props: dict[str, Any]) -> None:
    assert function["Metadata"]["BuildMethod"] == "makefile"
    code_dir = ROOT / props["CodeUri"]
    makefile = (code_dir / "Makefile").read_text()
    assert "build-SmartJobsFunction:" in makefile
    # SAM copies CodeUri to a scratch dir before building: keep it tiny.
    assert {p.name for p in code_dir.iterdir()} == {"Makefile"}


def test_environment(template: dict[str, Any], props: dict[str, Any]) -> None:
    env = props["Environment"]["Variables"]
    assert env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] == "true"
    assert env["SECRETS_ARN"] == {"Ref": "SecretsArn"}
    assert env["ICE_REGION"] == {"Ref": "IceRegion"}
    assert env["DIGEST_CHANNEL"] == {"Ref": "DigestChannel"}
    assert env["DIGEST_TABLE"] == {"Ref": "DigestIdempotencyTable"}
    for name in ("TEAM", "CHANNEL", "USER"):
        assert env[f"ALLOWED_{name}_IDS"] == {"Ref": f"Allowed{name.title()}Ids"}
    assert env["ALLOWED_REGIONS"] == {"Ref": "AllowedRegions"}
    assert env["ALIBABA_CLOUD_ROLE_ARN"] == {
        "Fn::If": ["HasAlibabaRole", {"Ref": "AlibabaRoleArn"}, {"Ref": "AWS::NoValue"}]
    }
    # The alarms and the dashboard read the same mapping (test_alarms_watch_... below).
    assert _resolve(env["POWERTOOLS_SERVICE_NAME"], template) == "smartjobs"
    assert _resolve(env["POWERTOOLS_METRICS_NAMESPACE"], template) == "SmartJobs"
    assert env["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    # Secrets are never plain environment values.
    assert not {"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"} & set(
        env
    )
    assert template["Conditions"]["HasAlibabaRole"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlibabaRoleArn"}, ""]}]
    }


def test_parameters_agree_with_the_code(template: dict[str, Any]) -> None:
    from bot.ice._regions import DEFAULT_REGION, REGIONS

    params = template["Parameters"]
    assert "Default" not in params["SecretsArn"], "a deployment must name its secret"
    region = params["IceRegion"]
    assert region["Default"] == DEFAULT_REGION
    assert region["AllowedValues"] == list(REGIONS), "the template offers the regions ICE has"
    assert re.fullmatch(r"cron\((\S+ ){5}\S+\)", params["DigestSchedule"]["Default"])
    retention = params["LogRetentionDays"]
    assert retention["Default"] in retention["AllowedValues"]
    level = params["LogLevel"]
    assert level["Default"] in level["AllowedValues"]
    # Optional settings default to "off", which the code reads as unset.
    optional = ("DigestChannel", "AllowedTeamIds", "AllowedUserIds", "AlibabaRoleArn")
    for name in (*optional, "AlarmEmail", "AlarmTopicArn"):
        assert params[name]["Default"] == "", name


def test_every_parameter_is_used_and_every_variable_is_read(
    template: dict[str, Any], props: dict[str, Any]
) -> None:
    used = _refs(template["Resources"]) | _refs(template.get("Conditions", {}))
    unused = set(template["Parameters"]) - used
    assert not unused, f"parameters nothing refers to: {unused}"
    code = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    code += (ROOT / "handler" / "_telemetry.py").read_text()
    for variable in props["Environment"]["Variables"]:
        if variable.startswith(("POWERTOOLS_", "ALIBABA_CLOUD_")):
            continue  # read by Powertools and by alibabacloud-credentials
        assert f'"{variable}"' in code, f"{variable} is set, but no code reads it"


def test_reserved_concurrency_is_unset_when_zero(
    template: dict[str, Any], props: dict[str, Any]
) -> None:
    assert template["Conditions"]["HasReservedConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, "0"]}]
    }
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }


# --- template: permissions -------------------------------------------------------------------


def _dynamodb_calls(*modules: str) -> set[str]:
    """The DynamoDB operations our own signed calls make, read from the code."""
    found: set[str] = set()
    for module in modules:
        text = (ROOT / module).read_text()
        found |= {f"dynamodb:{op}" for op in re.findall(r'dynamodb\(\s*"(\w+)"', text)}
        found |= {f"dynamodb:{op}" for op in re.findall(r'_call\(\s*"(\w+)"', text)}
    return found


POWERTOOLS_IDEMPOTENCY = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}


def test_policies_are_least_privilege(props: dict[str, Any]) -> None:
    by_resource: dict[str, set[str]] = {}
    for stmt in _policy_statements(props):
        assert stmt["Effect"] == "Allow"
        assert "*" not in _as_list(stmt["Resource"])
        for resource in _as_list(stmt["Resource"]):
            by_resource.setdefault(json.dumps(resource, sort_keys=True), set()).update(
                _as_list(stmt["Action"])
            )
    digest = by_resource.pop(json.dumps({"Fn::GetAtt": ["DigestIdempotencyTable", "Arn"]}))
    watches = by_resource.pop(json.dumps({"Fn::GetAtt": ["WatchTable", "Arn"]}))
    claims = _dynamodb_calls("bot/store/claims.py")
    assert claims | POWERTOOLS_IDEMPOTENCY == digest, "the digest table: Powertools and claims"
    assert _dynamodb_calls("bot/watch/store.py") == watches, "the watch table: what the store calls"
    rest = sorted(a for actions in by_resource.values() for a in actions)
    assert rest == ["lambda:InvokeFunction"] * 2 + ["secretsmanager:GetSecretValue"]


def test_self_invoke_policy_is_sub_of_the_function_name_not_circular(
    props: dict[str, Any],
) -> None:
    (stmt,) = [s for s in _policy_statements(props) if s["Action"] == "lambda:InvokeFunction"]
    resources = stmt["Resource"]
    name = props["FunctionName"]["Fn::Sub"]
    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + name
    assert resources == [{"Fn::Sub": arn}, {"Fn::Sub": arn + ":*"}]
    # A Ref/GetAtt of the function (or its role) from its own policy is a cycle.
    assert not _refs(props["Policies"]) & {"SmartJobsFunction", "SmartJobsFunctionRole"}


def test_secrets_policy_names_only_the_secrets_parameter(props: dict[str, Any]) -> None:
    (stmt,) = [
        s for s in _policy_statements(props) if s["Action"] == "secretsmanager:GetSecretValue"
    ]
    assert stmt["Resource"] == {"Ref": "SecretsArn"}


# --- template: schedule, table, logs, outputs ------------------------------------------------


def test_each_schedule_is_one_the_handler_routes_and_follows_its_parameter(
    template: dict[str, Any], props: dict[str, Any]
) -> None:
    from handler import _schedule

    events = props["Events"]
    assert {e["Type"] for e in events.values()} == {"Schedule"}, (
        "the Function URL is the HTTP entry"
    )
    states = {name: e["Properties"]["State"]["Fn::If"][0] for name, e in events.items()}
    assert states == {
        "DailyDigest": "HasDigest",
        "WatchPoll": "HasWatchPoll",
        "KeepWarm": "HasKeepWarm",
    }
    digest = events["DailyDigest"]["Properties"]
    assert "Input" not in digest, "the digest keys its window on EventBridge's own event time"
    assert _schedule.is_schedule({"source": "aws.events", "detail-type": "Scheduled Event"})
    for name, task in (("WatchPoll", _schedule.WATCH_POLL), ("KeepWarm", _schedule.KEEP_WARM)):
        assert _schedule.task_of(json.loads(events[name]["Properties"]["Input"])) == task
    assert template["Conditions"]["HasDigest"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "DigestChannel"}, ""]}]
    }


def test_schedule_inputs_are_answered_by_the_handler() -> None:
    from bot.local import LambdaContext
    from bot.local.demo import local_deployment

    template_inputs = {
        name: json.loads(event["Properties"]["Input"])
        for name, event in yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)["Resources"][
            "SmartJobsFunction"
        ]["Properties"]["Events"].items()
        if "Input" in event["Properties"]
    }
    with local_deployment(count=10) as local:
        warm = local.handler(template_inputs["KeepWarm"], LambdaContext())
        polled = local.handler(template_inputs["WatchPoll"], LambdaContext())
        assert local.ice.calls == 0, "a ping and a poll without watches cost ICE nothing"
    assert warm == {"statusCode": 200, "body": "warm"}
    assert polled == {"statusCode": 200, "body": "0 alerts"}


def test_idempotency_table_layout(template: dict[str, Any]) -> None:
    table = template["Resources"]["DigestIdempotencyTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    p = table["Properties"]
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert p["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_log_group_is_explicit_with_retention(
    template: dict[str, Any], props: dict[str, Any]
) -> None:
    group = template["Resources"]["SmartJobsLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    name = props["FunctionName"]["Fn::Sub"]
    assert group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": "SmartJobsLogGroup"}


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["SlackRequestUrl"]["Value"] == {
        "Fn::Sub": "${SmartJobsFunctionUrl.FunctionUrl}slack/events"
    }
    assert outputs["FunctionUrl"]["Value"] == {
        "Fn::GetAtt": ["SmartJobsFunctionUrl", "FunctionUrl"]
    }
    assert outputs["FunctionName"]["Value"] == {"Ref": "SmartJobsFunction"}
    assert outputs["LogGroupName"]["Value"] == {"Ref": "SmartJobsLogGroup"}


# --- template: alarms and the dashboard -------------------------------------------------------

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:oncall"


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _alarm_metrics(alarm: dict[str, Any], template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads: its own, or those of its metric math."""
    props = _resolve(alarm["Properties"], template)
    if "MetricName" in props:
        return [{key: props[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    returned = [query for query in props["Metrics"] if query.get("ReturnData", True)]
    assert len(returned) == 1, "one time series is compared with the threshold"
    assert returned[0]["Expression"] == "SUM(METRICS())", "the sum of the metrics below"
    return [query["MetricStat"]["Metric"] for query in props["Metrics"] if "MetricStat" in query]


def _ice_codes(alarm: dict[str, Any], template: dict[str, Any]) -> set[str]:
    names = [metric["MetricName"] for metric in _alarm_metrics(alarm, template)]
    assert all(name.startswith("IceError.") for name in names)
    return {name.removeprefix("IceError.") for name in names}


@pytest.fixture(scope="module")
def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = _of_type(template, "AWS::CloudWatch::Alarm")
    assert found, "the template has alarms"
    return found


@pytest.fixture(scope="module")
def telemetry(template: dict[str, Any], alarms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the deployed function writes, as Powertools writes it with the template's
    environment: one EMF record after one telemetry event of every kind (each ICE code an
    alarm names), and the Lambda entry's own counts."""
    from typing import get_args

    from aws_lambda_powertools import Metrics

    from bot import telemetry as t
    from handler import _telemetry

    env = _resolve(template["Resources"]["SmartJobsFunction"]["Properties"], template)[
        "Environment"
    ]["Variables"]
    codes = sorted(
        code
        for alarm in alarms.values()
        for metric in _alarm_metrics(alarm, template)
        if metric["MetricName"].startswith("IceError.")
        for code in [metric["MetricName"].removeprefix("IceError.")]
    )
    events: list[t.Event] = [
        t.RequestSeen("T1", "C1", "U1", "/smartjobs"),
        t.Refused("T1"),
        *(t.CommandRun(kind) for kind in get_args(t.CommandKind)),
        t.PageServed(3, "request-id"),
        t.IceCalled(12.5, None, "request-id", degraded=1, unreadable=1),
        *(t.IceFailed(code, "request-id") for code in codes),
        *(t.DigestDelivered(outcome) for outcome in get_args(t.DigestOutcome)),
        t.WatchPolled(watches=2, ice_requests=3, alerts=1, jobs_alerted=4, failed=1),
        t.Answered("inline", 250.0),
        t.Answered("lazy", 900.0),
    ]
    assert {type(event) for event in events} == set(get_args(t.Event)), "one of every kind"
    metrics = Metrics(
        namespace=env["POWERTOOLS_METRICS_NAMESPACE"], service=env["POWERTOOLS_SERVICE_NAME"]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_telemetry, "metrics", metrics)
        metrics.clear_metrics()
        try:
            for event in events:
                _telemetry.record(event)
            for name in (_telemetry.CONFIG_ERRORS, _telemetry.SLACK_REQUESTS):
                _telemetry.count(name)
            record: dict[str, Any] = metrics.serialize_metric_set()
        finally:
            metrics.clear_metrics()
            _telemetry.logger.remove_keys(["team", "channel", "user", "command", "ice_request_id"])
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    ((dimension,),) = directive["Dimensions"]
    return {
        "namespace": directive["Namespace"],
        "dimensions": [{"Name": dimension, "Value": record[dimension]}],
        "names": {metric["Name"] for metric in directive["Metrics"]},
    }


def test_alarms_watch_metrics_the_code_emits(
    template: dict[str, Any], alarms: dict[str, dict[str, Any]], telemetry: dict[str, Any]
) -> None:
    function = {"Name": "FunctionName", "Value": {"Ref": "SmartJobsFunction"}}
    for name, alarm in alarms.items():
        for metric in _alarm_metrics(alarm, template):
            if metric["Namespace"] == "AWS/Lambda":
                assert metric["MetricName"] in {"Errors", "Throttles"}, name
                assert metric["Dimensions"] == [function], name
                continue
            assert metric["Namespace"] == telemetry["namespace"], name
            assert metric["MetricName"] in telemetry["names"], f"{name}: nothing emits it"
            assert metric["Dimensions"] == telemetry["dimensions"], name


def _known_codes() -> set[str]:
    """Every code the project knows ICE sends: the client's rules and the emulator's table."""
    from bot.ice._errors import RULES
    from bot.ice.emulator import ERRORS

    return set(ERRORS) | {code for code, _, _ in RULES if not code.endswith(".")}


def test_the_credentials_alarm_covers_every_refusal_the_client_knows(
    template: dict[str, Any], alarms: dict[str, dict[str, Any]]
) -> None:
    from bot.ice._errors import IceAuthError, classify

    def refused(code: str) -> bool:
        return isinstance(classify(code, "", status=403, request_id=None), IceAuthError)

    alarmed = _ice_codes(alarms["IceCredentialsRefusedAlarm"], template)
    assert {code for code in _known_codes() if refused(code)} <= alarmed
    assert all(refused(code) for code in alarmed), "only codes the client treats as refusals"


def test_the_throttling_alarm_covers_every_throttling_code_and_waits_for_it_to_persist(
    template: dict[str, Any], alarms: dict[str, dict[str, Any]]
) -> None:
    from bot.ice._errors import IceThrottledError, classify

    alarm = alarms["IceThrottlingAlarm"]
    throttled = {
        code
        for code in _known_codes()
        if isinstance(classify(code, "", status=400, request_id=None), IceThrottledError)
    }
    assert throttled <= _ice_codes(alarm, template)
    props = alarm["Properties"]
    assert props["DatapointsToAlarm"] == props["EvaluationPeriods"] >= 3, "not one busy minute"


def test_every_alarm_counts_failures_and_missing_data_means_none(
    alarms: dict[str, dict[str, Any]],
) -> None:
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name
        assert props["Threshold"] >= 1, name
        assert props["TreatMissingData"] == "notBreaching", name
        assert props["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name
        assert props["AlarmDescription"], name


@pytest.mark.parametrize(
    ("email", "topic_arn"),
    [("", ""), ("oncall@example.com", ""), ("", TOPIC_ARN), ("oncall@example.com", TOPIC_ARN)],
)
def test_alarms_notify_exactly_the_topics_configured(
    template: dict[str, Any], alarms: dict[str, dict[str, Any]], email: str, topic_arn: str
) -> None:
    params = {"AlarmEmail": email, "AlarmTopicArn": topic_arn}
    expected = ([{"Ref": "AlarmTopic"}] if email else []) + ([topic_arn] if topic_arn else [])
    for name, alarm in alarms.items():
        props = _resolve(alarm["Properties"], template, params)
        assert props.get("AlarmActions", []) == expected, name
    (topic_name,) = _of_type(template, "AWS::SNS::Topic")
    topic = template["Resources"][topic_name]
    assert topic_name == "AlarmTopic"
    assert _truth({"Condition": topic["Condition"]}, template, params) == bool(email)
    (subscription,) = _resolve(topic["Properties"]["Subscription"], template, params)
    assert subscription == {"Protocol": "email", "Endpoint": email}
    output = template["Outputs"]["AlarmTopic"]
    assert _truth({"Condition": output["Condition"]}, template, params) == bool(email)


def _dashboard(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON, its ${…} replaced as CloudFormation would (alarms by ARN)."""
    ((_, dashboard),) = _of_type(template, "AWS::CloudWatch::Dashboard").items()
    text, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    values = {name: _resolve(value, template) for name, value in variables.items()}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return str(values[name])
        if name == "AWS::Region":
            return "us-east-1"
        resource, _, attribute = name.partition(".")
        assert resource in template["Resources"], f"${{{name}}} names nothing"
        return f"arn:{resource}" if attribute == "Arn" else f"name:{resource}"

    body: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", substitute, text))
    return body


def test_the_dashboard_shows_emitted_metrics_and_every_alarm(
    template: dict[str, Any], alarms: dict[str, dict[str, Any]], telemetry: dict[str, Any]
) -> None:
    widgets = _dashboard(template)["widgets"]
    (dimension,) = telemetry["dimensions"]
    shown: set[str] = set()
    for widget in widgets:
        for line in widget["properties"].get("metrics", []):
            namespace, name, dimension_name, dimension_value = line[:4]
            if namespace == "AWS/Lambda":
                assert (dimension_name, dimension_value) == (
                    "FunctionName",
                    "name:SmartJobsFunction",
                )
                continue
            assert namespace == telemetry["namespace"]
            assert name in telemetry["names"], f"the dashboard shows {name}, which nothing emits"
            assert (dimension_name, dimension_value) == (dimension["Name"], dimension["Value"])
            shown.add(name)
    assert {"IceLatency", "IceErrors", "DigestsPosted", "DigestsFailed"} <= shown
    assert any(name.startswith("Commands.") for name in shown)
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(f"arn:{a}" for a in alarms)
    assert template["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"].endswith("name=${Dashboard}")


def test_no_absolute_machine_paths_in_infra_files() -> None:
    files = [TEMPLATE, *(p for p in INFRA.rglob("*") if p.is_file())]
    for path in files:
        text = path.read_text()
        for marker in ("/root/", "/home/", "/work/", "/tmp/", "/Users/"):
            assert marker not in text, f"{path.relative_to(ROOT)} names {marker}"


# --- Slack manifest and RAM policy -----------------------------------------------------------


MANIFESTS = {"http": "slack-app-manifest.yaml", "socket": "slack-app-manifest.socket.yaml"}


def _manifest(kind: str) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load((INFRA / MANIFESTS[kind]).read_text())
    return manifest


def _keys(node: Any) -> set[str]:
    """Every mapping key anywhere inside node."""
    if isinstance(node, dict):
        return set(node) | {key for value in node.values() for key in _keys(value)}
    if isinstance(node, list):
        return {key for item in node for key in _keys(item)}
    return set()


@pytest.mark.parametrize("kind", MANIFESTS)
def test_slack_manifest(kind: str) -> None:
    from bot import filters
    from bot.names import COMMAND

    manifest = _manifest(kind)
    assert manifest["display_information"]["name"] == "smartjobs"
    assert manifest["features"]["bot_user"]["display_name"]
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is False
    assert command["description"]
    lists, *others = command["usage_hint"].split(" · ")
    hint_words = re.findall(r"[^\s\[\]|]+", lists)
    assert "since:2h" in hint_words
    for word in hint_words:
        filters.parse(word)  # every word the hint shows is one the grammar takes
    actions = set()
    for form in others:  # and every other form it shows, its placeholder filled in
        typed = re.sub(r"[\[\]]", "", form.replace("<id>", "88c6ca184c0e47098a5b665e2a126797"))
        actions.add(filters.parse(typed).action)
    assert actions == {"job", "watch", "watches", "unwatch", "help"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True, "buttons need it"
    assert "event_subscriptions" not in manifest["settings"]
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == ["chat:write", "commands"]
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_the_http_manifest_points_at_the_function_url() -> None:
    manifest = _manifest("http")
    url = "https://YOUR-FUNCTION-URL/slack/events"
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_the_socket_manifest_has_socket_mode_and_no_urls() -> None:
    manifest = _manifest("socket")
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert not {"url", "request_url", "redirect_urls"} & _keys(manifest), "Slack needs no URL"
    assert "connections:write" in (INFRA / MANIFESTS["socket"]).read_text(), (
        "its comment says which scope the app-level token needs"
    )


def test_both_manifests_describe_the_same_app() -> None:
    http, socket = _manifest("http"), _manifest("socket")
    (http_command,) = http["features"]["slash_commands"]
    (socket_command,) = socket["features"]["slash_commands"]
    assert {k: v for k, v in http_command.items() if k != "url"} == socket_command
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["display_information"] == socket["display_information"]
    assert http["features"]["bot_user"] == socket["features"]["bot_user"]
    settings = {k: v for k, v in http["settings"].items() if k != "socket_mode_enabled"}
    settings["interactivity"] = {"is_enabled": True}
    assert settings == {k: v for k, v in socket["settings"].items() if k != "socket_mode_enabled"}


def test_ram_policy_allows_exactly_the_actions_the_client_calls() -> None:
    from bot.ice._enums import ACTION, GET_JOB_ACTION

    policy = json.loads((INFRA / "ram-policy.json").read_text())
    assert policy["Version"] == "1"
    (stmt,) = policy["Statement"]
    assert stmt["Effect"] == "Allow"
    assert sorted(_as_list(stmt["Action"])) == sorted(f"ice:{a}" for a in (ACTION, GET_JOB_ACTION))
    assert stmt["Resource"] == "*"
    assert set(stmt) == {"Effect", "Action", "Resource"}


# --- sample events ---------------------------------------------------------------------------


def _load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _raw_body(event: dict[str, Any]) -> str:
    body: str = event["body"]
    return base64.b64decode(body).decode() if event["isBase64Encoded"] else body


def _resign(event: dict[str, Any], secret: str, timestamp: int) -> dict[str, Any]:
    """A copy of event with fresh Slack signature headers (in the event's own header case)."""
    event = copy.deepcopy(event)
    base = f"v0:{timestamp}:{_raw_body(event)}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    for headers in (event["headers"], event.get("multiValueHeaders") or {}):
        for key in list(headers):
            value = {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": signature}
            new = value.get(key.lower())
            if new is not None:
                headers[key] = [new] if isinstance(headers[key], list) else new
    return event


@pytest.mark.parametrize("name", HTTP_EVENTS)
def test_http_event_shape(name: str) -> None:
    event = _load_event(name)
    assert isinstance(event["isBase64Encoded"], bool)
    headers = {k.lower(): v for k, v in event["headers"].items()}
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-slack-request-timestamp"] == PLACEHOLDER_TIMESTAMP
    assert headers["x-slack-signature"] == PLACEHOLDER_SIGNATURE
    if name.startswith("rest-v1"):
        assert event["httpMethod"] == "POST"
        assert event["requestContext"]["httpMethod"] == "POST"
        assert "version" not in event
    else:
        assert event["version"] == "2.0"
        assert event["requestContext"]["http"]["method"] == "POST"
        assert event["rawPath"] == "/slack/events"
    if name.startswith("function-url"):
        assert event["requestContext"]["domainName"].endswith(".on.aws")
        assert event["isBase64Encoded"] is True
    form = urllib.parse.parse_qs(_raw_body(event), strict_parsing=True)
    if name in SLASH_EVENTS:
        assert form["command"] == ["/smartjobs"]
        assert form["text"] == ["failed asr"]
        assert form["response_url"][0].startswith("https://hooks.slack.com/")
    else:
        payload = json.loads(form["payload"][0])
        assert payload["type"] == "block_actions"
        (action,) = payload["actions"]
        assert action["action_id"] == "next_page"
        assert action["type"] == "button"
        assert payload["response_url"].startswith("https://hooks.slack.com/")


def test_eventbridge_schedule_shape() -> None:
    event = _load_event("eventbridge-schedule.json")
    assert event["source"] == "aws.events"
    assert event["detail-type"] == "Scheduled Event"
    assert event["detail"] == {}
    assert event["resources"][0].startswith("arn:aws:events:")
    assert "body" not in event and "requestContext" not in event


def test_every_event_file_is_listed_and_documented() -> None:
    files = sorted(p.name for p in EVENTS.glob("*.json"))
    assert files == sorted([*HTTP_EVENTS, "eventbridge-schedule.json"])
    readme = (EVENTS / "README.md").read_text()
    assert all(name in readme for name in files)
    assert "placeholder" in readme


def _bolt_app(secret: str, seen: list[str]) -> Any:
    from slack_bolt import App
    from slack_bolt.authorization import AuthorizeResult

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # No auth.test round trip: these tests never leave the machine.
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-not-a-real-token"
        )

    app = App(signing_secret=secret, authorize=authorize, process_before_response=True)

    @app.command("/smartjobs")
    def _command(ack: Any, command: dict[str, Any]) -> None:
        seen.append(command["text"])
        ack()

    @app.action("next_page")
    def _next_page(ack: Any, body: dict[str, Any]) -> None:
        seen.append(body["actions"][0]["action_id"])
        ack()

    return app


def _no_invoker() -> Any:
    raise AssertionError("these listeners have no lazy work")


_CONTEXT = SimpleNamespace(
    get_remaining_time_in_millis=lambda: 30_000,
    function_name="smartjobs-smartjobs",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:smartjobs-smartjobs",
)


@pytest.mark.parametrize("name", HTTP_EVENTS)
def test_http_events_pass_the_lambda_adapter_once_resigned(name: str) -> None:
    from handler._adapter import LambdaAdapter

    secret = "test-signing-secret"
    seen: list[str] = []
    handler = LambdaAdapter(_bolt_app(secret, seen), _no_invoker, secret)
    event = _resign(_load_event(name), secret, int(time.time()))
    response = handler.handle(event, _CONTEXT)
    assert response["statusCode"] == 200, response
    assert seen == (["failed asr"] if name in SLASH_EVENTS else ["next_page"])

    # The placeholders as shipped are refused, as is a wrong secret.
    assert handler.handle(_load_event(name), _CONTEXT)["statusCode"] == 401
    wrong = _resign(_load_event(name), "another-secret", int(time.time()))
    assert handler.handle(wrong, _CONTEXT)["statusCode"] == 401


def test_the_adapter_answers_404_to_the_schedule_event_so_the_handler_routes_it_first() -> None:
    from handler._adapter import LambdaAdapter

    handler = LambdaAdapter(_bolt_app("s", []), _no_invoker, "s")
    response = handler.handle(_load_event("eventbridge-schedule.json"), _CONTEXT)
    assert response["statusCode"] == 404


# --- the built package (after `make build`) ---------------------------------------------------

RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
DEV_ONLY = {
    "pytest",
    "_pytest",
    "hypothesis",
    "mypy",
    "ruff",
    "moto",
    "alibabacloud_ice20201109",
    "alibabacloud_tea_openapi",
    "boto3_stubs",
    "mypy_boto3_lambda",
}


@pytest.fixture(scope="module")
def package() -> Path:
    if not BUILD_DIR.is_dir():
        pytest.skip(f"no built package at {BUILD_DIR.relative_to(ROOT)}: run 'make build' first")
    return BUILD_DIR


def test_package_has_the_code_and_no_runtime_provided_or_dev_packages(package: Path) -> None:
    top = {p.name for p in package.iterdir()}
    assert (package / "handler" / "__init__.py").is_file()
    assert (package / "bot" / "__init__.py").is_file()
    assert not top & RUNTIME_PROVIDED, "the Lambda runtime provides boto3"
    assert not top & DEV_ONLY
    dists = {
        name.split("-", 1)[0].lower().replace("_", "-")
        for name in top
        if name.endswith(".dist-info")
    }
    assert not dists & {"boto3", "botocore", "s3transfer", "pytest", "hypothesis", "moto"}
    for wanted in ("slack-bolt", "httpx", "aws-lambda-powertools", "alibabacloud-credentials"):
        assert wanted in dists
    assert "pydantic" not in dists, "the models are plain dataclasses: pydantic is not shipped"
    assert "tests" not in top and "bin" not in top


NOT_SHIPPED = ("bot/local", "bot/ice/emulator")


def _modules(root: Path) -> set[str]:
    return {
        ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for top in ("bot", "handler")
        for p in (root / top).rglob("*.py")
    }


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)  # loading `from m import x` loads m
            names.update(f"{node.module}.{a.name}" for a in node.names)  # x may be a module
    return names & known


def test_package_ships_only_what_a_lambda_request_can_import(package: Path) -> None:
    shipped, source = _modules(package), _modules(ROOT)
    for excluded in NOT_SHIPPED:
        assert not (package / excluded).exists(), f"{excluded} never runs in Lambda"
        assert (ROOT / excluded).is_dir(), "the exclusion list names a real folder"
    assert {"bot.slack.app", "bot.ice._client", "handler.app"} <= shipped
    for top in ("bot", "handler"):
        for path in (package / top).rglob("*.py"):
            missing = _imported_modules(path, source) - shipped
            assert not missing, f"{path.relative_to(package)} imports {missing}, not shipped"


def test_package_ships_python312_bytecode_for_the_hot_path_only(package: Path) -> None:
    """Lambda cannot write __pycache__: the modules a request imports come precompiled."""
    compiled = {p.parent.parent / p.name.split(".")[0] for p in package.rglob("*.cpython-312.pyc")}
    assert package / "handler" / "app" in compiled
    assert package / "bot" / "slack" / "app" in compiled
    assert package / "slack_bolt" / "app" / "app" in compiled
    assert not list(package.rglob("*.cpython-311.pyc")), "bytecode must be the runtime's 3.12"
    # the lazy-only and unused libraries stay source-only (the zip stays under 10 MiB)
    assert not list((package / "aiohttp").rglob("*.pyc"))


def test_package_native_code_is_for_lambda_arm64_python312(package: Path) -> None:
    shared = list(package.rglob("*.so"))
    assert shared, "aiohttp and multidict (alibabacloud-credentials) at least ship native modules"
    for path in shared:
        head = path.read_bytes()[:20]
        assert head[:4] == b"\x7fELF", path
        machine = int.from_bytes(head[18:20], "little")
        assert machine == 183, f"{path.relative_to(package)} is not aarch64 (e_machine {machine})"
        if "cpython-" in path.name:
            assert "cpython-312-aarch64" in path.name, path.name


def test_package_zipped_size(package: Path) -> None:
    buffer = io.BytesIO()
    parts: Counter[str] = Counter()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(package.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(package).as_posix())
        for info in archive.infolist():
            parts[info.filename.split("/", 1)[0]] += info.compress_size
    size = len(buffer.getvalue())
    biggest = ", ".join(f"{name} {n / 1024:.0f} KiB" for name, n in parts.most_common(5))
    print(f"\nLambda package: {size / 1024 / 1024:.1f} MiB zipped; biggest: {biggest}")
    assert size < 50 * 1024 * 1024, "over Lambda's direct-upload limit"


def test_block_actions_sample_carries_a_valid_button_value() -> None:
    button_value = pytest.importorskip("bot.button_value")
    form = urllib.parse.parse_qs(_raw_body(_load_event("function-url-block-actions.json")))
    (action,) = json.loads(form["payload"][0])["actions"]
    _query, next_token, _page = button_value.decode(action["value"])[:3]
    assert next_token == "EXAMPLE_NEXT_TOKEN"
