"""Where ICE answers: the regions it is offered in and the endpoint of each."""

from __future__ import annotations

from typing import Final

REGIONS: Final = (
    "cn-beijing",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-shenzhen",
    "ap-southeast-1",
    "us-west-1",
)
"""Extend when Alibaba Cloud offers ICE in another region."""

DEFAULT_REGION: Final = "cn-shanghai"


def endpoint_for(region: str) -> str:
    """``https://ice.<region>.aliyuncs.com``: the SDK's own map sends most regions elsewhere."""
    return f"https://ice.{region}.aliyuncs.com"
