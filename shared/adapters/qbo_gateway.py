"""The QboGateway adapter: python-quickbooks + intuit-oauth, paced per realm, errors translated."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException

from shared.adapters.clock import SystemClock
from shared.adapters.qbo_auth import BearerSession, QboTokens
from shared.adapters.qbo_errors import (
    ThrottleAnswer,
    error_code,
    translate_quickbooks,
    translate_throttle,
    translate_transport,
)
from shared.adapters.qbo_json import dumps
from shared.adapters.rate_limiter import RateLimiter
from shared.config import Settings
from shared.errors import UpstreamUnavailableError
from shared.logging import get_logger, log_event
from shared.ports import VOID_FORMS, Clock, JsonDict, SecretStore

REQUEST_ID_MAX = 50
QUERY_PAGE = 1000
_PAGED = re.compile(r"\b(startposition|maxresults)\b", re.IGNORECASE)
_COUNT = re.compile(r"^\s*select\s+count\(\s*\*\s*\)", re.IGNORECASE)
_ENTITY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")

log = get_logger("qbo_gateway")


def check_request_id(request_id: str) -> None:
    """QBO keeps at most 50 characters; a longer id would not protect against duplicates."""
    if not request_id or len(request_id) > REQUEST_ID_MAX:
        raise ValueError(f"QBO requestid must be 1..{REQUEST_ID_MAX} characters")


def _check_entity(entity: str) -> None:
    if entity not in QuickBooks._BUSINESS_OBJECTS:
        raise ValueError(f"{entity!r} is not a QBO entity name")


class QuickBooksGateway:
    """QuickBooks Online for one realm. Build once per instance; thread-safe.

    The python-quickbooks client and its HTTP session are built on first use and reused. Every
    call passes the per-realm limiter first, carries a fresh access token, and is retried once
    after a token refresh if QBO answers 401. Only shared.errors leave this class.
    """

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        *,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._settings = settings
        self._clock: Clock = clock or SystemClock()
        self.limiter = limiter or RateLimiter(
            settings.qbo_requests_per_minute,
            settings.qbo_max_concurrent,
            requests_per_second=settings.qbo_requests_per_second,
            clock=self._clock,
        )
        self.tokens = QboTokens(
            secrets,
            discovery_url=settings.qbo_discovery_url,
            client_id_name=settings.qbo_client_id_name,
            client_secret_name=settings.qbo_client_secret_name,
            refresh_token_name=settings.qbo_refresh_token_name,
            clock=self._clock,
            timeout_seconds=settings.qbo_timeout_seconds,
        )
        self._session = BearerSession(
            settings.qbo_timeout_seconds, pool_size=max(settings.qbo_max_concurrent, 1)
        )
        self._qb: QuickBooks | None = None
        self._lock = threading.Lock()
        self.requests_sent = 0  # HTTP requests to the API (a batch is one), for run counts
        self._rates: dict[tuple[str, date], Decimal] = {}

    # --- the port -----------------------------------------------------------------------------

    def create(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        _check_entity(entity)
        check_request_id(request_id)
        body = dumps(document)
        result = self._call(
            f"create {entity}",
            lambda qb: qb.create_object(entity, body, request_id=request_id),
        )
        return self._unwrap(result, entity)

    def read(self, entity: str, entity_id: str) -> JsonDict:
        _check_entity(entity)
        if not _ENTITY_ID.match(entity_id):
            raise ValueError("QBO entity ids are short alphanumeric strings")
        result = self._call(f"read {entity}", lambda qb: qb.get_single_object(entity, entity_id))
        return self._unwrap(result, entity)

    def update(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        """Full update, or sparse when ``document`` carries ``"sparse": true``."""
        _check_entity(entity)
        check_request_id(request_id)
        if not document.get("Id") or document.get("SyncToken") in (None, ""):
            raise ValueError("an update needs Id and SyncToken")
        body = dumps(document)
        result = self._call(
            f"update {entity}",
            lambda qb: qb.update_object(entity, body, request_id=request_id),
        )
        return self._unwrap(result, entity)

    def query(self, statement: str) -> list[JsonDict]:
        """Every row: pages of 1000 unless the statement pages itself; count(*) as one row."""
        if _COUNT.match(statement):
            response = self._query_page(statement)
            return [{"totalCount": int(response.get("totalCount", 0))}]
        if _PAGED.search(statement):
            return self._rows(self._query_page(statement))
        rows: list[JsonDict] = []
        position = 1
        while True:
            page = self._rows(
                self._query_page(f"{statement} STARTPOSITION {position} MAXRESULTS {QUERY_PAGE}")
            )
            rows.extend(page)
            if len(page) < QUERY_PAGE:
                return rows
            position += QUERY_PAGE

    def exchange_rate(self, currency: str, as_of: date) -> Decimal:
        """QBO's rate for ``currency`` on ``as_of``: home-currency units per unit (the value a
        foreign transaction's ExchangeRate takes). Cached per (currency, date) per instance."""
        code = currency.strip().upper()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {currency!r}")
        key = (code, as_of)
        with self._lock:
            cached = self._rates.get(key)
        if cached is not None:
            return cached
        params = {"sourcecurrencycode": code, "asofdate": as_of.isoformat()}

        def send(qb: QuickBooks) -> Any:
            url = f"{qb.api_url}/company/{qb.company_id}/exchangerate"
            return qb.get(url, params=params)

        document = self._unwrap(self._call(f"exchange rate {code}", send), "ExchangeRate")
        rate = document.get("Rate")
        if isinstance(rate, bool) or not isinstance(rate, int | Decimal) or rate <= 0:
            raise UpstreamUnavailableError("QBO answered without a usable Rate", code="shape")
        result = Decimal(rate)
        with self._lock:
            self._rates[key] = result
        return result

    def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
        """QBO's change data capture: entities of these types changed since ``since`` (QBO keeps
        30 days and answers at most 1000 per type), by entity type."""
        for entity in entities:
            _check_entity(entity)
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        params = {"entities": ",".join(entities), "changedSince": since.isoformat()}

        def send(qb: QuickBooks) -> Any:
            return qb.get(f"{qb.api_url}/company/{qb.company_id}/cdc", params=params)

        result = self._call("change data capture", send)
        found: dict[str, list[JsonDict]] = {entity: [] for entity in entities}
        responses = result.get("CDCResponse") if isinstance(result, dict) else None
        for response in responses if isinstance(responses, list) else []:
            for part in response.get("QueryResponse") or []:
                for key, value in part.items():
                    if key in found and isinstance(value, list):
                        found[key].extend(v for v in value if isinstance(v, dict))
        return found

    def void(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        """An Invoice by ``operation=void``; a Payment or a SalesReceipt by a sparse update with
        ``include=void`` (Intuit's entity references; python-quickbooks VoidMixin)."""
        form = VOID_FORMS.get(entity)
        if form is None:
            raise ValueError(f"QBO cannot void a {entity} through the API; reverse or delete it")
        if form == "operation":
            return self._operation({"operation": "void"}, entity, entity_id, sync_token, request_id)
        params = {"operation": "update", "include": "void"}
        return self._operation(params, entity, entity_id, sync_token, request_id, sparse=True)

    def delete(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        params = {"operation": "delete"}
        return self._operation(params, entity, entity_id, sync_token, request_id)

    def preferences(self) -> JsonDict:
        def send(qb: QuickBooks) -> Any:
            return qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences")

        return self._unwrap(self._call("read preferences", send), "Preferences")

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
        """Upload a file as an Attachable linked to ``entity`` ``entity_id``; the Attachable."""
        _check_entity(entity)
        check_request_id(request_id)
        metadata = dumps(
            {
                "AttachableRef": [{"EntityRef": {"type": entity, "value": entity_id}}],
                "FileName": file_name,
                "ContentType": content_type,
            }
        )
        what = f"attach to {entity}"
        result = self._call(
            what,
            lambda qb: qb.create_object(
                "Attachable", metadata, _file_bytes=content, request_id=request_id
            ),
        )
        items = result.get("AttachableResponse") if isinstance(result, dict) else None
        first = items[0] if isinstance(items, list) and items else {}
        if isinstance(first, dict) and "Fault" in first:
            error = (first["Fault"].get("Error") or [{}])[0]
            vendor = QuickbooksException(
                error.get("Message", ""), error.get("code", 0), error.get("Detail", "")
            )
            raise translate_quickbooks(vendor, what)
        return self._unwrap(first, "Attachable")

    # --- internals ------------------------------------------------------------------------------

    def _operation(
        self,
        params: dict[str, str],
        entity: str,
        entity_id: str,
        sync_token: str,
        request_id: str,
        *,
        sparse: bool = False,
    ) -> JsonDict:
        _check_entity(entity)
        check_request_id(request_id)
        document: JsonDict = {"Id": entity_id, "SyncToken": sync_token}
        if sparse:
            document["sparse"] = True
        body = dumps(document)

        def send(qb: QuickBooks) -> Any:
            url = f"{qb.api_url}/company/{qb.company_id}/{entity.lower()}"
            return qb.post(url, body, params=dict(params), request_id=request_id)

        what = f"{params.get('include') or params['operation']} {entity}"
        return self._unwrap(self._call(what, send), entity)

    def _query_page(self, statement: str) -> JsonDict:
        result = self._call("query", lambda qb: qb.query(statement))
        response = result.get("QueryResponse") if isinstance(result, dict) else None
        return response if isinstance(response, dict) else {}

    @staticmethod
    def _rows(response: JsonDict) -> list[JsonDict]:
        for key, value in response.items():
            if isinstance(value, list) and key[:1].isupper():
                return list(value)
        return []

    @staticmethod
    def _unwrap(result: Any, entity: str) -> JsonDict:
        if not isinstance(result, dict) or not isinstance(result.get(entity), dict):
            raise UpstreamUnavailableError(f"QBO answered without a {entity} object", code="shape")
        document: JsonDict = result[entity]
        return document

    def _client(self) -> QuickBooks:
        with self._lock:
            if self._qb is None:
                self._session.access_token = self.tokens.access_token()
                auth_client = self.tokens.auth_client
                qb = QuickBooks(
                    auth_client=auth_client,
                    refresh_token=auth_client.refresh_token,
                    company_id=self._settings.qbo_realm_id,
                    minorversion=self._settings.qbo_minor_version,
                    use_decimal=True,
                )
                qb.api_url_v3 = self._settings.qbo_base_url.rstrip("/")
                qb.sandbox_api_url_v3 = qb.api_url_v3
                # Our session instead of the OAuth2Session it made: tokens are swapped here,
                # requests get a timeout, the pool is sized for the concurrency cap, and plain
                # http to the local fake is allowed (oauthlib refuses non-https URLs).
                qb.session = self._session
                self._qb = qb
            return self._qb

    def _call(self, what: str, operation: Callable[[QuickBooks], Any], *, weight: int = 1) -> Any:
        """Run one QBO request through the limiter (``weight`` places in its window), with a
        fresh token and one refresh on 401; only shared.errors leave."""
        qb = self._client()
        for attempt in (1, 2):
            token = self.tokens.access_token()
            self._session.access_token = token
            try:
                with self.limiter.slot(weight):
                    with self._lock:
                        self.requests_sent += 1
                    return operation(qb)
            except AuthorizationException as exc:
                if error_code(exc) == 401 and attempt == 1:
                    log_event(
                        log,
                        logging.INFO,
                        "qbo access token refused; refreshing",
                        operation=what,
                        realm_id=self._settings.qbo_realm_id,
                    )
                    self.tokens.refresh(stale=token)
                    continue
                error = translate_quickbooks(exc, what)
            except QuickbooksException as exc:
                error = translate_quickbooks(exc, what)
            except ThrottleAnswer as exc:
                error = translate_throttle(exc, what)
            except requests.RequestException as exc:
                error = translate_transport(exc, what)
            log_event(
                log,
                logging.WARNING,
                "qbo call failed",
                operation=what,
                error_class=error.error_class,
                error_code=error.code,
                realm_id=self._settings.qbo_realm_id,
            )
            raise error from None
        raise AssertionError("unreachable")
