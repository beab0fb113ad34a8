"""State the bot keeps between requests, behind small interfaces with two backends each:
DynamoDB on Lambda (signed httpx calls, no boto3 on the request path) and a SQLite file
(``SMARTJOBS_DB``) on this machine."""
