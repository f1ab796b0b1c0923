"""Which time step a TOTP code belongs to, and whether it may still be accepted (RFC 6238).

A code is good once: RFC 6238 §5.2 says a verifier "MUST NOT accept the second attempt of the OTP after
the successful validation has been issued for the first OTP". So the last accepted time step is kept per
user, and no step at or before it is accepted again. The same section allows a step backwards for
transmission delay and a phone clock a little behind; we accept the previous step only, and only while it
is newer than the last one used (a code from the previous step is refused once a newer code was used).
"""

import hmac

import pyotp

from careloop.fieldcrypto import Undecryptable

STEP_SECONDS = 30  # RFC 6238's default X, and what every authenticator app uses
DIGITS = 6


def time_step(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def looks_like_a_code(typed: str) -> bool:
    code = typed.strip().replace(" ", "")
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def accepted_step(secret: str, typed: str, unix_time: float, last_used_step: int | None) -> int | None:
    """The step of `typed` if it is the current or the previous step's code and newer than the last used."""
    # A secret no key opens (a removed field key) matches nothing: the login refuses instead of failing.
    if not secret or isinstance(secret, Undecryptable) or not looks_like_a_code(typed):
        return None
    code = typed.strip().replace(" ", "")
    generator = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(unix_time)
    for step in (current, current - 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(generator.generate_otp(step), code):
            return step
    return None
