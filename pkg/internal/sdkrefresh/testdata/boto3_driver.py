"""One long-lived boto3 process for package sdkrefresh's tests.

For each line "clock" read from stdin it prints "clock <unix nanoseconds>",
its clock's reading; for each line "call" it makes one GetCallerIdentity
call and prints "ok <ARN>" or "error <message>". All calls go through one
STS client, made at the first call (the profile comes from AWS_PROFILE, the
credential_process from the config file; boto3 runs it as it makes the
client). The test runs it under libfaketime, so its clock is sped up from
outside.
"""

import sys
import time
import traceback

import boto3
from botocore.config import Config

# libfaketime divides the timeouts of poll() by its speed, so botocore's
# 60 s would be a fraction of a second of real time, and a timeout's retry
# would then sleep, which fails under libfaketime; these are many real
# seconds at the speeds the test uses.
TIMEOUTS = Config(connect_timeout=3600, read_timeout=3600)


def main():
    client = None
    for line in iter(sys.stdin.readline, ""):
        if line == "clock\n":
            print("clock", time.time_ns(), flush=True)
            continue
        try:
            if client is None:
                client = boto3.session.Session().client(
                    "sts", endpoint_url=sys.argv[1], config=TIMEOUTS
                )
            arn = client.get_caller_identity()["Arn"]
        except Exception as e:  # reported to the test, which fails on it
            traceback.print_exc()
            print("error", str(e).replace("\n", " "), flush=True)
            continue
        print("ok", arn, flush=True)


main()
