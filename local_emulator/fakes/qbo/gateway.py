"""A QboGateway over a FakeQbo in the same process: the fake's WSGI app without sockets.

For fast service-level tests of posting rules: every request goes through the fake's own
routing, refusals, requestid replay and Fault shapes, as over HTTP, but in microseconds. Request
bodies are written as the production adapter writes them (``qbo_json``); the fake parses them
with its own code. Faults are translated by the production translation, so a use case sees the
same ``shared.errors`` it sees in production. The production adapter itself (python-quickbooks)
is proven against the HTTP fake in ``tests/functional/test_qbo_gateway*.py``.
"""

from __future__ import annotations

import base64
import json
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from quickbooks.exceptions import QuickbooksException
from werkzeug.test import Client, TestResponse

from local_emulator.fakes.qbo.app import FakeQboApp
from local_emulator.fakes.qbo.engine import FakeQbo
from shared.adapters.qbo_errors import throttle_answer, translate_quickbooks, translate_throttle
from shared.adapters.qbo_json import dumps
from shared.adapters.rate_limiter import RateLimiter
from shared.errors import UpstreamUnavailableError
from shared.ports import VOID_FORMS, JsonDict

CLIENT_ID = "in-memory-client"
CLIENT_SECRET = "in-memory-secret"  # a placeholder the fake issues tokens for, not a secret
PAGE = 1000
MINOR_VERSION = "75"


class InMemoryQboGateway:
    """The QboGateway port over ``fake``; ``calls`` counts requests by operation."""

    def __init__(self, fake: FakeQbo, limiter: RateLimiter | None = None) -> None:
        """``limiter`` paces requests as the production gateway does (QBO allows 10 a second);
        a test on a manual clock passes one whose sleep advances that clock."""
        self.fake = fake
        self.limiter = limiter
        self._client = Client(FakeQboApp(fake, "http://in-memory"))
        self._refresh = fake.register_client(CLIENT_ID, CLIENT_SECRET)
        self._access = ""
        self.calls: dict[str, int] = {}

    # --- the port -----------------------------------------------------------------------------

    def create(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        return self._entity("POST", entity.lower(), entity, document, requestid=request_id)

    def read(self, entity: str, entity_id: str) -> JsonDict:
        return self._entity("GET", f"{entity.lower()}/{entity_id}", entity)

    def update(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        if not document.get("Id") or document.get("SyncToken") in (None, ""):
            raise ValueError("an update needs Id and SyncToken")
        return self._entity("POST", entity.lower(), entity, document, requestid=request_id)

    def void(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        form = VOID_FORMS.get(entity)
        if form is None:
            raise ValueError(f"QBO cannot void a {entity} through the API; reverse or delete it")
        body: JsonDict = {"Id": entity_id, "SyncToken": sync_token}
        if form == "operation":
            return self._entity(
                "POST", entity.lower(), entity, body, operation="void", requestid=request_id
            )
        body["sparse"] = True
        return self._entity(
            "POST",
            entity.lower(),
            entity,
            body,
            operation="update",
            include="void",
            requestid=request_id,
        )

    def delete(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        body = {"Id": entity_id, "SyncToken": sync_token}
        return self._entity(
            "POST", entity.lower(), entity, body, operation="delete", requestid=request_id
        )

    def attach(
        self,
        entity: str,
        entity_id: str,
        file_name: str,
        content: bytes,
        request_id: str,
        *,
        content_type: str = "application/pdf",
    ) -> JsonDict:
        metadata = {
            "AttachableRef": [{"EntityRef": {"type": entity, "value": entity_id}}],
            "FileName": file_name,
            "ContentType": content_type,
        }
        form = {
            "file_metadata_01": dumps(metadata),
            "file_content_01": base64.b64encode(content).decode("ascii"),
        }
        answer = self._send("POST", "upload", form=form, params={"requestid": request_id})
        items = answer.get("AttachableResponse") or [{}]
        return _unwrap(items[0], "Attachable")

    def query(self, statement: str) -> list[JsonDict]:
        if "startposition" in statement.lower() or "count(" in statement.lower():
            return _rows(
                self._send("GET", "query", params={"query": statement}).get("QueryResponse") or {}
            )
        rows: list[JsonDict] = []
        position = 1
        while True:
            text = f"{statement} STARTPOSITION {position} MAXRESULTS {PAGE}"
            answer = self._send("GET", "query", params={"query": text})
            page = _rows(answer.get("QueryResponse") or {})
            rows.extend(page)
            if len(page) < PAGE:
                return rows
            position += PAGE

    def exchange_rate(self, currency: str, as_of: date) -> Decimal:
        params = {"sourcecurrencycode": currency.upper(), "asofdate": as_of.isoformat()}
        answer = self._send("GET", "exchangerate", params=params)
        return Decimal(str(_unwrap(answer, "ExchangeRate")["Rate"]))

    def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        params = {"entities": ",".join(entities), "changedSince": since.isoformat()}
        answer = self._send("GET", "cdc", params=params)
        found: dict[str, list[JsonDict]] = {entity: [] for entity in entities}
        for response in answer.get("CDCResponse") or []:
            for part in response.get("QueryResponse") or []:
                for key, value in part.items():
                    if key in found and isinstance(value, list):
                        found[key].extend(value)
        return found

    def preferences(self) -> JsonDict:
        return _unwrap(self._send("GET", "preferences"), "Preferences")

    # --- internals ------------------------------------------------------------------------------

    def _entity(
        self, method: str, path: str, entity: str, body: Any = None, **params: str
    ) -> JsonDict:
        return _unwrap(self._send(method, path, body, params=params), entity)

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> JsonDict:
        params = params or {}
        what = params.get("operation") or path.split("/", maxsplit=1)[0]
        self.calls[what] = self.calls.get(what, 0) + 1
        query = urlencode({**params, "minorversion": MINOR_VERSION})
        url = f"/v3/company/{self.fake.realm_id}/{path}?{query}"
        for attempt in (1, 2):
            if not self._access:
                self._token()
            headers = {"Authorization": f"Bearer {self._access}", "Accept": "application/json"}
            with self.limiter.slot() if self.limiter is not None else nullcontext():
                if form is not None:
                    response = self._client.open(url, method=method, data=form, headers=headers)
                else:
                    data = None if body is None else dumps(body)
                    headers["Content-Type"] = "application/json"
                    response = self._client.open(url, method=method, data=data, headers=headers)
            if response.status_code == 401 and attempt == 1:
                self._access = ""
                continue
            return _answer(response, f"{method} {path}")
        raise AssertionError("unreachable")

    def _token(self) -> None:
        answer = self.fake.tokens.refresh(CLIENT_ID, self._refresh)
        self._access, self._refresh = str(answer["access_token"]), str(answer["refresh_token"])


def _answer(response: TestResponse, what: str) -> JsonDict:
    throttled = throttle_answer(
        response.status_code, response.get_data(), response.headers.get("Retry-After")
    )
    if throttled is not None:  # 429 or the older 403, with an XML body
        raise translate_throttle(throttled, what)
    try:
        body = json.loads(response.get_data(), parse_float=Decimal)
    except ValueError:
        raise UpstreamUnavailableError(f"QBO {what} answered no JSON", code="shape") from None
    fault = body.get("Fault") if isinstance(body, dict) else None
    if fault:
        error = (fault.get("Error") or [{}])[0]
        code = error.get("code") or response.status_code
        vendor = QuickbooksException(error.get("Message", ""), code, error.get("Detail", ""))
        raise translate_quickbooks(vendor, what)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise UpstreamUnavailableError(f"QBO {what} answered {response.status_code}")
    answer: JsonDict = body
    return answer


def _unwrap(answer: JsonDict, entity: str) -> JsonDict:
    document = answer.get(entity)
    if not isinstance(document, dict):
        raise UpstreamUnavailableError(f"QBO answered without a {entity} object", code="shape")
    return document


def _rows(response: JsonDict) -> list[JsonDict]:
    for key, value in response.items():
        if isinstance(value, list) and key[:1].isupper():
            return list(value)
    return []
