"""A TOTP code the portal will still accept when the test submits it.

allauth accepts the current period's code only (``MFA_TOTP_TOLERANCE`` 0), so a code
read in the last moment of a period can expire on its way through a browser: the
sign-in then stays on the code step and the test fails by the clock. Here a code is
read only with enough of its period left.
"""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

MARGIN_S = 8.0  # far more than a browser's round trip on a loaded CI machine


def totp_code(secret: str) -> str:
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < MARGIN_S:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))
