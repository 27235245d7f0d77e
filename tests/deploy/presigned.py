"""S3's rule for a presigned GET, applied where moto does not apply it.

S3 accepts a presigned URL when the SigV4 signature in it verifies with the
signer's secret over the canonical request (its X-Amz-Date and X-Amz-Expires
included, so neither can be changed) and the time is before X-Amz-Date plus
X-Amz-Expires. moto's server checks neither, so the expiry test asks this.
"""

from __future__ import annotations

import datetime
import hmac
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"


def signed_url_valid_at(url: str, *, at: datetime.datetime, secret_key: str) -> bool:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    access_key, date, region, service, _terminator = params["X-Amz-Credential"].split("/")
    signed_at = datetime.datetime.strptime(params["X-Amz-Date"], SIGV4_TIMESTAMP).replace(
        tzinfo=datetime.UTC
    )
    lifetime = datetime.timedelta(seconds=int(params["X-Amz-Expires"]))

    # The query exactly as signed (already percent-encoded), less the signature itself.
    unsigned = urlunsplit(
        parts._replace(
            query="&".join(
                pair for pair in parts.query.split("&") if not pair.startswith("X-Amz-Signature=")
            )
        )
    )
    request = AWSRequest(method="GET", url=unsigned, headers={"host": parts.netloc})
    request.context["timestamp"] = params["X-Amz-Date"]
    signer = S3SigV4QueryAuth(
        Credentials(access_key, secret_key), service, region, expires=int(params["X-Amz-Expires"])
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)

    signature_ok = hmac.compare_digest(expected, params["X-Amz-Signature"])
    in_window = signed_at <= at < signed_at + lifetime
    return signature_ok and date == params["X-Amz-Date"][:8] and in_window
