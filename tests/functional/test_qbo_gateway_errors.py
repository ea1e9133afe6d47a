"""Vendor exceptions become shared.errors by QBO code, with no secrets or personal data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from intuitlib.exceptions import AuthClientError
from quickbooks import exceptions as qbx

from shared.adapters.qbo_errors import (
    throttle_answer,
    translate_auth,
    translate_quickbooks,
    translate_throttle,
    translate_transport,
)
from shared.errors import (
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    StaleObjectError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from tests.functional.qbo_fixtures import QboEnv, qbo_env


@pytest.fixture
def env() -> Iterator[QboEnv]:
    with qbo_env() as environment:
        yield environment


@pytest.mark.parametrize(
    ("exc", "expected", "code"),
    [
        (
            qbx.ValidationException(
                "message=ThrottleExceeded; errorCode=003001; statusCode=429", 3001
            ),
            ThrottledError,
            "3001",
        ),
        (qbx.QuickbooksException("Stale Object Error", 5010), StaleObjectError, "5010"),
        (qbx.QuickbooksException("Duplicate Name Exists Error", 6240), DuplicateNameError, "6240"),
        (qbx.ObjectNotFoundException("Object Not Found", 610), NotFoundError, "610"),
        (
            qbx.QuickbooksException("Duplicate Document Number Error", 6140),
            ValidationFailedError,
            "6140",
        ),
        (qbx.ValidationException("String length", 2050), ValidationFailedError, "2050"),
        (qbx.ValidationException("Required param missing", 2020), ValidationFailedError, "2020"),
        (qbx.ValidationException("Invalid Reference Id", 2500), ValidationFailedError, "2500"),
        (qbx.GeneralException("TxnID Cannot Be Linked", 620), ValidationFailedError, "620"),
        (qbx.UnsupportedException("Unsupported Operation", 500), ValidationFailedError, "500"),
        (
            qbx.SevereException("An application error has occurred", 10000),
            UpstreamUnavailableError,
            "10000",
        ),
        (
            qbx.QuickbooksException("Error returned with status code '502': <html>", 10000),
            UpstreamUnavailableError,
            "10000",
        ),
        (
            qbx.AuthorizationException("Application authentication failed", 401),
            AuthenticationError,
            "401",
        ),
        (qbx.QuickbooksException("no code", "x"), UpstreamUnavailableError, "unknown"),
    ],
)
def test_dispatch_on_code(exc: qbx.QuickbooksException, expected: type, code: str) -> None:
    error = translate_quickbooks(exc, "create Invoice")
    assert type(error) is expected
    assert error.code == code


def test_throttle_carries_retry_after() -> None:
    error = translate_quickbooks(qbx.ValidationException("x", 3001), "read")
    assert isinstance(error, ThrottledError) and error.retry_after_seconds == 60


def test_messages_leave_out_unvetted_details() -> None:
    exc = qbx.QuickbooksException(
        "Duplicate Name Exists Error", 6240, "The name supplied already exists: Jane Doe"
    )
    assert "Jane" not in translate_quickbooks(exc, "create Customer").message
    body = qbx.QuickbooksException("Error returned with status code '502': jane@example.com", 10000)
    assert "jane" not in translate_quickbooks(body, "read").message
    safe = qbx.ValidationException("Required param", 2020, "Required parameter Line is missing")
    assert "Line" in translate_quickbooks(safe, "create Invoice").message


@pytest.mark.parametrize(
    ("code", "message", "detail"),
    [
        (2010, "Request has invalid or unsupported property",
         "Property Name:DisplayName specified is unsupported or invalid: Jane Doe"),
        (4000, "Invalid parameter", "Parameter value jane@example.com is not valid"),
        (4001, "Invalid query", "QueryParserError: select * from Customer where "
         "DisplayName = 'Jane Doe' ordr by Id"),
    ],
)  # fmt: skip
def test_details_that_echo_submitted_values_never_reach_the_error(
    code: int, message: str, detail: str
) -> None:
    """QBO's 2010, 4000 and 4001 Details repeat what was sent (a name, an email, the query):
    the error, and so the link row, the sync log and the logs built from it, keep the code and
    the message only."""
    error = translate_quickbooks(qbx.ValidationException(message, code, detail), "create Customer")
    assert isinstance(error, ValidationFailedError) and error.code == str(code)
    assert message in error.message
    assert "Jane" not in error.message and "jane" not in error.message


def test_a_query_fault_from_the_fake_keeps_the_query_text_out(env: QboEnv) -> None:
    """Through python-quickbooks against the fake QBO: a 4001 echoes the query, which names a
    customer; the error we raise does not."""
    with pytest.raises(ValidationFailedError) as refused:
        env.gateway.query("select * from Customer where DisplayName = 'Jane Doe' ordr by Id")
    assert refused.value.code == "4001"
    assert "Jane" not in refused.value.message


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError("reset"),
        requests.Timeout("slow"),
        requests.exceptions.ChunkedEncodingError("cut"),
    ],
)
def test_transport_errors_are_unavailable(exc: requests.RequestException) -> None:
    error = translate_transport(exc, "create Invoice")
    assert isinstance(error, UpstreamUnavailableError) and error.code == "network"


class _Response:
    def __init__(self, status: int, content: bytes) -> None:
        self.status_code = status
        self.content = content
        self.headers: dict[str, Any] = {}


def test_token_endpoint_errors() -> None:
    refused = AuthClientError(_Response(400, b'{"error":"invalid_grant","token":"RT1-secret"}'))
    error = translate_auth(refused, "token refresh")
    assert isinstance(error, AuthenticationError) and "RT1-secret" not in error.message
    assert "reconnect" in error.message
    down = AuthClientError(_Response(503, b"unavailable"))
    assert isinstance(translate_auth(down, "token refresh"), UpstreamUnavailableError)


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "wait"),
    [
        (429, b"<IntuitResponse>...ThrottleExceeded...</IntuitResponse>", None, 60.0),
        (429, b"", "7", 7.0),  # any 429, whatever its body, honours Retry-After
        (403, b'<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
              b"errorCode=003001; statusCode=403</Message></Error></Fault>", "x", 60.0),
    ],
)  # fmt: skip
def test_throttle_answers_in_every_form(
    status: int, body: bytes, retry_after: str | None, wait: float
) -> None:
    answer = throttle_answer(status, body, retry_after)
    assert answer is not None
    error = translate_throttle(answer, "create Invoice")
    assert isinstance(error, ThrottledError) and error.retry_after_seconds == wait
    assert error.code == "3001"


def test_a_403_without_throttle_is_not_a_throttle() -> None:
    body = b'{"Fault":{"Error":[{"code":"3100"}],"type":"AuthorizationFault"}}'
    assert throttle_answer(403, body, None) is None
    assert throttle_answer(200, b"ThrottleExceeded", None) is None
