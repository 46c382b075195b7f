#!/usr/bin/env python3
"""Presigns S3 requests with botocore's own generate_presigned_url: the
reference the C++ presigning tests (tests/unit/aws/sigv4_presign_test.cpp)
compare against byte for byte.

stdin: a JSON array of requests
  {"operation": "put_object" | "get_object", "bucket", "key",
   "content_type": str (put_object, optional), "region",
   "endpoint_url": str (optional), "addressing_style": "virtual" | "path",
   "expires": seconds, "time_ms", "access_key", "secret_key", "session_token"}
stdout: a JSON array of the presigned URLs, in order.

Exit status 2 with a message on stderr when botocore is missing or its clock
cannot be frozen.
"""

import datetime
import json
import sys
from unittest import mock

try:
    import botocore
    import botocore.session
    from botocore.config import Config
except ImportError as e:  # the C++ test turns this into a failure, not a skip
    sys.stderr.write(f"botocore_presign.py: botocore is not importable ({e}); install it with "
                     "'python3 -m pip install botocore'\n")
    sys.exit(2)


def frozen_datetime(at):
    """datetime.datetime whose now()/utcnow() return `at` (see botocore_sign.py)."""
    fake = mock.Mock(wraps=datetime.datetime)
    fake.now.side_effect = lambda tz=None: at if tz is not None else at.replace(tzinfo=None)
    fake.utcnow.side_effect = lambda: at.replace(tzinfo=None)
    return fake


def presign(session, spec):
    at = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        milliseconds=spec["time_ms"])
    client = session.create_client(
        "s3", region_name=spec["region"], endpoint_url=spec.get("endpoint_url") or None,
        aws_access_key_id=spec["access_key"], aws_secret_access_key=spec["secret_key"],
        aws_session_token=spec.get("session_token") or None,
        # docpipe's S3 adapter uses the regional endpoint in every region,
        # us-east-1 included (s3.us-east-1.amazonaws.com); botocore would
        # otherwise presign us-east-1 on the legacy global s3.amazonaws.com.
        config=Config(signature_version="s3v4",
                      s3={"addressing_style": spec["addressing_style"],
                          "us_east_1_regional_endpoint": "regional"}))
    params = {"Bucket": spec["bucket"], "Key": spec["key"]}
    if spec.get("content_type"):
        params["ContentType"] = spec["content_type"]
    with mock.patch.object(datetime, "datetime", frozen_datetime(at)):
        url = client.generate_presigned_url(spec["operation"], Params=params, ExpiresIn=spec["expires"])
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    if f"X-Amz-Date={stamp}" not in url:
        sys.stderr.write(f"botocore_presign.py: could not freeze botocore {botocore.__version__}'s clock "
                         f"(wanted {stamp}): {url}\n")
        sys.exit(2)
    return url


def main():
    session = botocore.session.get_session()
    specs = json.load(sys.stdin)
    json.dump([presign(session, s) for s in specs], sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
