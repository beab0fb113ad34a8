"""Two AWS calls, signed by hand (SigV4) and sent with httpx: Lambda's async self-invoke and
one Secrets Manager read. boto3 would cost ~0.4 s of import and ~0.1 s of client set-up on
the cold path that must ack Slack within 3 s; these need neither."""

from bot.aws._client import AwsClient, AwsCredentials, AwsError, LambdaInvoker
from bot.aws._sigv4 import sign_v4

__all__ = ["AwsClient", "AwsCredentials", "AwsError", "LambdaInvoker", "sign_v4"]
