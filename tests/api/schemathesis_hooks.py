"""Hooks for the schemathesis run of tests/api/run.sh (loaded through SCHEMATHESIS_HOOKS).

Idempotency-Key: hypothesis draws short header values ("0", "A") again and again, so two
different requests of the run often carry the same key. The API then does what it must
(replays the first answer, or refuses another request under a used key with 422), and
schemathesis' stateful checks read the replay as a bug: a key created, revoked, then
"created" again by the replay and not found. A client sends one key per operation it
means; so each key that is valid by the document is made unique to its call here (a
counter appended, as the headers are generated: a hook at call time would make
schemathesis re-read a negative case as a positive one), and keys that are not valid are
sent as generated, still to be refused.
Replays themselves are tested by tests/api/test_api.py (section idempotency).

Exotel's account sid: see map_path_parameters.
"""
import itertools
import os
import re

import schemathesis

VALID = re.compile(r"^[!-~]([ -~]*[!-~])?$")
MAX_LEN = 255
calls = itertools.count()


@schemathesis.hook
def map_headers(context, headers):
    if not headers:
        return headers
    for name in list(headers):
        value = headers[name]
        if name.lower() != "idempotency-key" or not isinstance(value, str) or not VALID.match(value):
            continue
        suffix = f"~{next(calls)}"
        headers[name] = value[: MAX_LEN - len(suffix)] + suffix
    return headers


# The fuzz key's own id (tests/api/run.sh): the key must outlive the run.
FUZZ_KEY_ID = os.environ.get("SL_FUZZ_KEY_ID")


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    """Exotel's routes name the account in the path: the fuzz key's workspace (e2e_fuzz),
    so that generated requests reach the route's checks instead of 403 (1010) each time.
    Another account's sid is tested by tests/api/test_api.py."""
    if path_parameters and "account_sid" in path_parameters and \
            context.operation.path.startswith("/v2/accounts/"):
        path_parameters["account_sid"] = "e2e_fuzz"
    return path_parameters


@schemathesis.hook
def before_call(context, case, kwargs):
    """The fuzz key itself is never the key a request revokes or changes (DELETE or PATCH
    /api/v1/keys/{id}), whichever phase made the request (the stateful one takes ids from
    GET /keys, which lists the fuzz key too): once revoked, every operation fuzzed after it
    got only 401. Revoking the key in use is tested by tests/api/test_api.py."""
    params = case.path_parameters
    if FUZZ_KEY_ID and params and case.operation.path == "/api/v1/keys/{id}" and \
            str(params.get("id")) == FUZZ_KEY_ID:
        params["id"] = int(FUZZ_KEY_ID) + 1_000_000_000
