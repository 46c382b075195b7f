#!/usr/bin/env python3
"""Signs requests with botocore's own SigV4 signer: the reference the C++
SigV4 tests (tests/unit/aws/sigv4_test.cpp) compare against byte for byte.

stdin: a JSON array of requests
  {"method", "url", "headers": [[name, value], ...], "body": str,
   "service", "region", "time_ms", "access_key", "secret_key", "session_token"}
stdout: a JSON array, one object per request, in order:
  {"headers": {name: [values]} for each of the headers botocore adds or
              rewrites (Authorization, X-Amz-Date, Date, X-Amz-Security-Token,
              X-Amz-Content-SHA256) present after signing, whether botocore
              set it or the request already had it,
   "canonical_request": str, "string_to_sign": str}

Service "s3" is signed with S3SigV4Auth (payload hash in
X-Amz-Content-SHA256, path not normalized); any other with SigV4Auth.

Exit status 2 with a message on stderr when botocore is missing or does not
behave as expected (the time could not be frozen).
"""

import datetime
import json
import sys
from unittest import mock

try:
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
except ImportError as e:  # the C++ test turns this into a failure, not a skip
    sys.stderr.write(f"botocore_sign.py: botocore is not importable ({e}); install it with "
                     "'python3 -m pip install botocore'\n")
    sys.exit(2)

# Headers the signer may add or rewrite; anything else it leaves untouched.
REPORTED = ["Authorization", "X-Amz-Date", "Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"]


def recording(signer_cls):
    """A subclass of `signer_cls` that keeps the canonical request and string
    to sign it computed, without changing how it computes them."""

    class Recording(signer_cls):
        def canonical_request(self, request):
            self.last_canonical_request = super().canonical_request(request)
            return self.last_canonical_request

        def string_to_sign(self, request, canonical_request):
            self.last_string_to_sign = super().string_to_sign(request, canonical_request)
            return self.last_string_to_sign

    return Recording


def frozen_datetime(at):
    """A stand-in for the datetime.datetime class whose now()/utcnow() return
    `at` (aware, UTC). botocore 1.3x+ reads the clock through
    botocore.compat.get_current_datetime -> datetime.datetime.now(timezone.utc);
    older releases called datetime.datetime.utcnow() from botocore.auth. Both
    look the class up on the shared `datetime` module at call time, so
    replacing that attribute (as botocore's own tests do) freezes either."""
    fake = mock.Mock(wraps=datetime.datetime)
    fake.now.side_effect = lambda tz=None: at if tz is not None else at.replace(tzinfo=None)
    fake.utcnow.side_effect = lambda: at.replace(tzinfo=None)
    return fake


def sign(spec):
    at = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        milliseconds=spec["time_ms"])
    request = botocore.awsrequest.AWSRequest(method=spec["method"], url=spec["url"],
                                             data=spec.get("body", ""))
    # One by one: HTTPHeaders appends, so repeated names survive as botocore
    # would see them.
    for name, value in spec.get("headers", []):
        request.headers[name] = value

    credentials = botocore.credentials.Credentials(
        spec["access_key"], spec["secret_key"], spec.get("session_token") or None)
    signer_cls = botocore.auth.S3SigV4Auth if spec["service"] == "s3" else botocore.auth.SigV4Auth
    signer = recording(signer_cls)(credentials, spec["service"], spec["region"])
    with mock.patch.object(datetime, "datetime", frozen_datetime(at)):
        signer.add_auth(request)

    expected_stamp = at.strftime("%Y%m%dT%H%M%SZ")
    if not signer.last_string_to_sign.split("\n")[1] == expected_stamp:
        sys.stderr.write(f"botocore_sign.py: could not freeze botocore {botocore.__version__}'s clock "
                         f"(signed at {signer.last_string_to_sign.split(chr(10))[1]}, "
                         f"wanted {expected_stamp}); botocore.auth reads the time some other way\n")
        sys.exit(2)

    present = {}
    for name in REPORTED:
        values = request.headers.get_all(name)
        if values:
            present[name] = values
    return {
        "headers": present,
        "canonical_request": signer.last_canonical_request,
        "string_to_sign": signer.last_string_to_sign,
    }


def main():
    specs = json.load(sys.stdin)
    json.dump([sign(s) for s in specs], sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
