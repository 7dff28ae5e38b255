# Reads AWS config and credentials files with botocore, one request per
# line of stdin, one JSON answer per line of stdout, so that one Python
# process serves a whole test run or fuzz session.
#
# Request:  {"config": PATH, "credentials": PATH}
# Answer:   {"config": VIEW, "credentials": VIEW, "profiles": {NAME: ...}}
# where VIEW is {"sections": {...}} as botocore's raw_config_parse gives
# them, or {"error": EXCEPTION CLASS}; "profiles" is botocore's
# load_config profile map of the config file.
import json
import sys

from botocore import configloader


def view(path, fn):
    try:
        return {"sections": fn(path)}
    except configloader.botocore.exceptions.ConfigNotFound:
        return {"missing": True}
    except Exception as e:  # any failure is an answer, not a crash
        return {"error": type(e).__name__}


def main():
    for line in sys.stdin:
        req = json.loads(line)
        ans = {
            "config": view(req["config"], configloader.raw_config_parse),
            "credentials": view(req["credentials"], configloader.raw_config_parse),
            "profiles": view(req["config"], lambda p: configloader.load_config(p)["profiles"]),
        }
        sys.stdout.write(json.dumps(ans, sort_keys=True) + "\n")
        sys.stdout.flush()


main()
