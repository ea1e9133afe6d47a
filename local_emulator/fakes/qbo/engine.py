"""FakeQbo: the state and rules of one fake QBO company, independent of HTTP."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from local_emulator.fakes.qbo import currency, errors
from local_emulator.fakes.qbo.autoapply import auto_apply
from local_emulator.fakes.qbo.books import INDEXED, Books, JsonDict, id_order
from local_emulator.fakes.qbo.company.profile import CompanyProfile, company_profile
from local_emulator.fakes.qbo.company.reference import exchange_rate_document, exchange_rates
from local_emulator.fakes.qbo.company.seed import seed_company
from local_emulator.fakes.qbo.errors import QboFault
from local_emulator.fakes.qbo.faults import FaultConfig, FaultInjector
from local_emulator.fakes.qbo.oauth import TokenAuthority
from local_emulator.fakes.qbo.query import Query, parse_query, run_query
from local_emulator.fakes.qbo.registry import RULES, canonical
from local_emulator.fakes.qbo.rules import EntityRule, NameRule
from local_emulator.fakes.qbo.schema import check_request
from local_emulator.fakes.qbo.throttle import RealmThrottle, ThrottleLimits
from local_emulator.fakes.qbo.wire import render
from shared.adapters.clock import SystemClock
from shared.ports import Clock

DEFAULT_REALM = "9130350000000001"
REQUEST_ID_MAX = 50
BATCH_REQUEST_ID_MAX = 36
BATCH_BID_MAX_WITH_REQUEST_ID = 10
BATCH_MAX_ITEMS = 30
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # QBO's stated per-file limit for attachments


class FakeQbo:
    """One realm: entities, ledger, tokens, throttle, faults and the requestid replay cache."""

    def __init__(
        self,
        realm_id: str = DEFAULT_REALM,
        *,
        clock: Clock | None = None,
        faults: FaultConfig | None = None,
        seed: int = 0,
        time_scale: float = 1.0,
        limits: ThrottleLimits | None = None,
        refresh_grace_seconds: float = 120.0,
        min_minor_version: int = 75,
        home_currency: str | None = None,
        multicurrency: bool | None = None,
        profile: CompanyProfile | str = "us",
    ) -> None:
        """``profile`` is the company's reference data (company/profile.py); ``home_currency``
        and ``multicurrency``, when given, override the profile's."""
        self.realm_id = realm_id
        self.clock: Clock = clock or SystemClock()
        company = company_profile(profile) if isinstance(profile, str) else profile
        self.profile = company.with_currency(home_currency, multicurrency)
        self.books = Books(
            self.clock, self.profile.home_currency, multicurrency=self.profile.multicurrency
        )
        self.books.create_hook = self._create_quietly
        self.books.tax = self.profile.tax
        self.tokens = TokenAuthority(self.clock, grace_seconds=refresh_grace_seconds)
        self.throttle = RealmThrottle(self.clock, limits, time_scale)
        self.faults = FaultInjector(faults, seed)
        self.min_minor_version = min_minor_version
        self._lock = threading.RLock()
        self._replays: dict[str, tuple[int, str]] = {}
        self._counts: Counter[str] = Counter()
        seed_company(self, self.profile)
        self._counts.clear()

    # --- credentials --------------------------------------------------------------------------

    def register_client(
        self, client_id: str, client_secret: str, refresh_token: str | None = None
    ) -> str:
        """Register an app and start a grant; returns the initial refresh token."""
        self.tokens.register_client(client_id, client_secret)
        return self.tokens.issue_refresh_token(client_id, refresh_token)

    def revoke_tokens(self) -> None:
        """Revoke every grant: refresh and access tokens stop working (a user disconnected)."""
        self.tokens.revoke_all()

    # --- observation ----------------------------------------------------------------------------

    def count(self, kind: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[kind] += amount

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def state_json(self) -> dict[str, list[JsonDict]]:
        """Every entity as QBO JSON, by entity name, ordered by Id."""
        with self._lock:
            return {
                entity: [copy.deepcopy(d) for d in sorted(docs.values(), key=_by_id)]
                for entity, docs in sorted(self.books.entities.items())
                if docs
            }

    def home_balances(self) -> dict[str, Decimal]:
        """Account name -> balance in the home currency (QBO's Account has no such field; a
        foreign account's CurrentBalance is in its own currency)."""
        with self._lock:
            return {
                str(account["Name"]): self.books.home_balance(str(account["Id"]))
                for account in sorted(self.books.all("Account"), key=_by_id)
            }

    def time(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds")

    # --- request level: replay and response bodies ------------------------------------------

    def respond(self, request_id: str | None, action: Callable[[], JsonDict]) -> tuple[int, str]:
        """Run ``action`` once per requestid; a repeat gets the original status and body.

        With the ``qbo_requestid=off`` knob every request runs anew; repeats are only counted
        (``requestid_repeats``), so a run shows how often replay would have been needed.
        """
        with self._lock:
            replay = self.faults.config.replays_request_ids
            if request_id is not None:
                if len(request_id) > REQUEST_ID_MAX:
                    fault = errors.string_length("requestid", REQUEST_ID_MAX, len(request_id))
                    return fault.status, render({"Fault": fault.fault(), "time": self.time()})
                if request_id in self._replays:
                    self._counts["requestid_repeats"] += 1
                    if replay:
                        self._counts["replayed"] += 1
                        return self._replays[request_id]
            try:
                result: tuple[int, str] = (200, render({**action(), "time": self.time()}))
            except QboFault as fault:
                self._count_refusal(fault)
                result = (fault.status, render({"Fault": fault.fault(), "time": self.time()}))
            if request_id is not None and request_id not in self._replays:
                self._replays[request_id] = result
            return result

    def _count_refusal(self, fault: QboFault) -> None:
        """Every Fault answered, and those of the request-schema check by rule as well."""
        self._counts["validation_faults"] += 1
        if fault.rule:
            self._counts["schema_refused"] += 1
            self._counts[f"schema_refused.{fault.rule}"] += 1

    # --- entity operations (raise QboFault) -------------------------------------------------

    def _rule(self, entity: str) -> tuple[str, EntityRule]:
        name = canonical(entity)
        if name is None:
            raise errors.unsupported(f"Operation is not supported for entity {entity}")
        return name, RULES[name]

    def _writing(self, entity: str, operation: str) -> tuple[str, EntityRule]:
        """The entity's rule for a create or an update the API allows on it (500 otherwise)."""
        name, rule = self._rule(entity)
        self._counts[operation] += 1
        if not (rule.creatable if operation == "create" else rule.updatable):
            raise errors.unsupported(f"Operation {operation.title()} is not supported for {name}")
        return name, rule

    def _existing(self, name: str, rule: EntityRule, body: JsonDict) -> JsonDict:
        entity_id = body.get("Id")
        if entity_id in (None, ""):
            raise errors.required_missing("Id")
        if body.get("SyncToken") in (None, ""):
            raise errors.required_missing("SyncToken")
        old = self.books.get(name, str(entity_id))
        if old is None:
            raise errors.not_found(name, str(entity_id))
        if str(body["SyncToken"]) != old["SyncToken"]:
            raise errors.stale_object()
        rule.check_change(old, self.books)
        return old

    def _store(
        self, name: str, rule: EntityRule, doc: JsonDict, old: JsonDict | None, given_id: str = ""
    ) -> JsonDict:
        doc["Id"] = old["Id"] if old else (given_id or self.books.new_id(name))
        doc["SyncToken"] = str(int(old["SyncToken"]) + 1) if old else "0"
        now = self.books.now_iso()
        created = old["MetaData"]["CreateTime"] if old else now
        doc["MetaData"] = {"CreateTime": created, "LastUpdatedTime": now}
        doc["domain"] = "QBO"
        doc["sparse"] = False
        self.books.put(name, doc)
        rule.apply(doc, self.books)
        return doc

    def _replace(self, name: str, rule: EntityRule, old: JsonDict, new: JsonDict) -> JsonDict:
        rule.unapply(old, self.books)
        try:
            prepared = rule.prepare(new, self.books, old)
        except QboFault:
            rule.apply(old, self.books)
            raise
        return self._store(name, rule, prepared, old)

    def _rounded(self, body: JsonDict) -> JsonDict:
        """The body as QBO would keep it if it rounds finer amounts (``Books.round_amounts``)."""
        if not self.books.round_amounts:
            return body
        ref = body.get("CurrencyRef")
        code = ref.get("value") if isinstance(ref, dict) else None
        rounded: JsonDict = currency.rounded_amounts(body, str(code or self.books.home).upper())
        return rounded

    def _create_quietly(self, entity: str, body: JsonDict) -> JsonDict:
        """What QBO creates on its own (a per-currency A/R account): not a counted request."""
        name, rule = self._rule(entity)
        return self._store(name, rule, rule.prepare(copy.deepcopy(body), self.books, None), None)

    def seed(self, entity: str, body: JsonDict) -> JsonDict:
        """Store a document as QBO itself keeps it (company reference data from a profile): no
        request, no request check; an ``Id`` in ``body`` is kept (a US company's TaxCode TAX)."""
        with self._lock:
            name, rule = self._rule(entity)
            doc = copy.deepcopy(body)
            given = str(doc.pop("Id", "") or "")
            if given:
                self.books.claim_id(name, given)
            doc = rule.prepare(doc, self.books, None)
            return copy.deepcopy(self._store(name, rule, doc, None, given))

    def create(
        self, entity: str, body: JsonDict, *, allow_duplicate_doc_number: bool = False
    ) -> JsonDict:
        """``allow_duplicate_doc_number``: ``include=allowduplicatedocnum`` was asked for."""
        with self._lock:
            name, rule = self._writing(entity, "create")
            doc = check_request(name, self._rounded(copy.deepcopy(body)), create=True)
            for read_only in ("Id", "SyncToken", "MetaData"):
                doc.pop(read_only, None)
            self.books.allow_duplicate_doc_number = allow_duplicate_doc_number
            try:
                doc = self._store(name, rule, rule.prepare(doc, self.books, None), None)
            finally:
                self.books.allow_duplicate_doc_number = False
            auto_apply(self.books, name, doc, self._create_quietly)
            return {name: copy.deepcopy(doc)}

    def read(self, entity: str, entity_id: str, *, invoice_link: str = "") -> JsonDict:
        """``invoice_link``: the base URL of an Invoice's ``InvoiceLink`` (include=invoiceLink)."""
        with self._lock:
            name, _ = self._rule(entity)
            self._counts["read"] += 1
            if name == "CompanyInfo" and entity_id == self.realm_id:
                entity_id = "1"  # GET companyinfo/<realmId> (Intuit API reference, CompanyInfo)
            doc = self.books.get(name, entity_id)
            if doc is None:
                raise errors.not_found(name, entity_id)
            answer = copy.deepcopy(doc)
            if invoice_link and name == "Invoice":
                answer["InvoiceLink"] = f"{invoice_link}/app/invoice/{self.realm_id}/{entity_id}"
            return {name: answer}

    def update(self, entity: str, body: JsonDict) -> JsonDict:
        with self._lock:
            name, rule = self._writing(entity, "update")
            incoming = check_request(name, self._rounded(copy.deepcopy(body)), create=False)
            old = self._existing(name, rule, incoming)
            sparse = str(incoming.pop("sparse", False)).lower() == "true"
            new = {**copy.deepcopy(old), **incoming} if sparse else incoming
            if not sparse and name in ("Invoice",):
                new.setdefault("DocNumber", old.get("DocNumber"))
            return {name: copy.deepcopy(self._replace(name, rule, old, new))}

    def void(self, entity: str, body: JsonDict, form: str = "operation") -> JsonDict:
        """Void in the entity's own form (``rules.EntityRule.void_form``); any other is refused
        as QBO refuses it: ``operation=void`` on a Payment, a CreditMemo void, and so on."""
        with self._lock:
            name, rule = self._rule(entity)
            self._counts["void"] += 1
            if rule.void_form is None or rule.void_form != form:
                raise errors.operation_unsupported("void")
            body = check_request(name, body, create=False)
            if form == "include" and str(body.get("sparse", "")).lower() != "true":
                # A full update would need every writable field; the void form is sparse.
                raise errors.required_missing("sparse")
            old = self._existing(name, rule, body)
            voided = rule.void(copy.deepcopy(old), self.books)
            rule.unapply(old, self.books)
            return {name: copy.deepcopy(self._store(name, rule, voided, old))}

    def delete(self, entity: str, body: JsonDict) -> JsonDict:
        with self._lock:
            name, rule = self._rule(entity)
            self._counts["delete"] += 1
            old = self._existing(name, rule, check_request(name, body, create=False))
            rule.check_delete(old, self.books)
            rule.unapply(old, self.books)
            self.books.remove(name, str(old["Id"]))
            return {name: {"status": "Deleted", "domain": "QBO", "Id": old["Id"]}}

    def upload(self, metadata: JsonDict, content: bytes, content_type: str) -> JsonDict:
        """A file upload (``/upload``): an Attachable with the bytes kept for inspection."""
        with self._lock:
            name, rule = self._rule("Attachable")
            self._counts["upload"] += 1
            doc = check_request(name, copy.deepcopy(metadata), create=True)
            doc.setdefault("ContentType", content_type)
            if len(content) > MAX_UPLOAD_BYTES:
                raise errors.business_rule(f"file is larger than {MAX_UPLOAD_BYTES} bytes")
            doc["Size"] = len(content)
            doc = self._store(name, rule, rule.prepare(doc, self.books, None), None)
            self.books.files[str(doc["Id"])] = content
            doc["FileAccessUri"] = f"/v3/company/{self.realm_id}/download/{doc['Id']}"
            return {"AttachableResponse": [{"Attachable": copy.deepcopy(doc)}]}

    def file(self, attachable_id: str) -> bytes | None:
        """The bytes uploaded for an Attachable (tests compare them with what was sent)."""
        with self._lock:
            return self.books.files.get(attachable_id)

    def exchange_rate(self, source: str | None, as_of: str | None) -> JsonDict:
        """``GET exchangerate?sourcecurrencycode=EUR&asofdate=2026-01-15``: home units per unit."""
        with self._lock:
            self._counts["read"] += 1
            if not source:
                raise errors.required_missing("sourcecurrencycode")
            code = currency.code(source, "sourcecurrencycode")
            day = as_of or self.books.today()
            try:
                day = date.fromisoformat(day).isoformat()
            except ValueError:
                raise errors.invalid_value("asofdate", day) from None
            document = exchange_rate_document(self.books, code, day, self.books.now_iso())
            return {"ExchangeRate": document}

    def set_exchange_rate(self, source: str, rate: Decimal, as_of: str | None = None) -> None:
        """Pin a rate, for one date or (``as_of`` None) for every date."""
        with self._lock:
            self.books.rates.set(source, rate, as_of)

    def preferences(self) -> JsonDict:
        """``GET preferences``: the company's Preferences, in full."""
        return self.read("Preferences", "1")

    def query(self, text: str) -> JsonDict:
        with self._lock:
            self._counts["query"] += 1
            query = parse_query(text)
            name = canonical(query.entity)
            if name is None:
                raise errors.invalid_query(f"Entity {query.entity} is not supported")
            if name == "ExchangeRate":
                candidates = exchange_rates(self.books, query, self.books.now_iso())
            else:
                candidates = self._candidates(name, query)
            if isinstance(RULES[name], NameRule) and not any(
                c.field.lower() == "active" for c in query.conditions
            ):
                # Name lists answer with their active entries unless the query asks about
                # Active (Intuit, intuit/QuickBooks-V3-Java-SDK#19: "you can get the deleted
                # records by querying using active flag as false").
                candidates = [d for d in candidates if d.get("Active") is not False]
            hits = run_query(query, candidates)
            if query.count:
                return {"QueryResponse": {"totalCount": len(hits)}}
            page = hits[query.start_position - 1 : query.start_position - 1 + query.max_results]
            if not page:
                return {"QueryResponse": {}}
            docs = [copy.deepcopy(d) for d in page]
            if query.fields is not None:
                keep = {f.lower() for f in query.fields} | {"id", "synctoken", "domain"}
                docs = [{k: v for k, v in d.items() if k.lower() in keep} for d in docs]
                for doc in docs:
                    doc["sparse"] = True
            return {
                "QueryResponse": {
                    name: docs,
                    "startPosition": query.start_position,
                    "maxResults": len(docs),
                }
            }

    def _candidates(self, name: str, query: Query) -> list[JsonDict]:
        """Narrow a query through an index when it filters on Id or an indexed field by '='."""
        for condition in query.conditions:
            if condition.op != "=" or not isinstance(condition.values[0], str):
                continue
            value = condition.values[0]
            if condition.field.lower() == "id":
                doc = self.books.get(name, value)
                return [doc] if doc is not None else []
            field = next((f for f in INDEXED if f.lower() == condition.field.lower()), None)
            if field is not None:
                return self.books.lookup(name, field, value)
        return self.books.all(name)

    def batch(self, body: JsonDict, request_id: str | None = None) -> JsonDict:
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise errors.required_missing("BatchItemRequest")
        if len(items) > BATCH_MAX_ITEMS:
            raise errors.QboFault(
                "6000", "A business validation error has occurred while processing your request",
                f"Business Validation Error: a batch may carry at most {BATCH_MAX_ITEMS} items",
            )  # fmt: skip
        if request_id is not None and len(request_id) > BATCH_REQUEST_ID_MAX:
            raise errors.string_length("requestid", BATCH_REQUEST_ID_MAX, len(request_id))
        with self._lock:
            self._counts["batch"] += 1
            responses = [self._batch_item(item, request_id) for item in items]
        return {"BatchItemResponse": responses}

    def _batch_item(self, item: Any, request_id: str | None) -> JsonDict:
        bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
        try:
            if not bid:
                raise errors.required_missing("bId")
            if request_id is not None and len(bid) > BATCH_BID_MAX_WITH_REQUEST_ID:
                raise errors.string_length("bId", BATCH_BID_MAX_WITH_REQUEST_ID, len(bid))
            if "Query" in item:
                return {"bId": bid, **self.query(str(item["Query"]))}
            entities = [k for k in item if k not in ("bId", "operation", "optionsData")]
            if len(entities) != 1:
                raise errors.required_missing("entity")
            entity, doc = entities[0], item[entities[0]]
            operation = str(item.get("operation", "")).lower()
            if operation == "update" and str(item.get("optionsData", "")).lower() == "void":
                # the batch form of ``include=void`` (node-quickbooks#150, Intuit community)
                return {"bId": bid, **self.void(entity, doc, "include")}
            actions: dict[str, Callable[[str, JsonDict], JsonDict]] = {
                "create": self.create,
                "update": self.update,
                "delete": self.delete,
                "void": self.void,
            }
            if operation not in actions:
                raise errors.unsupported(f"batch operation {operation!r} is not supported")
            return {"bId": bid, **actions[operation](entity, doc)}
        except QboFault as fault:
            self._count_refusal(fault)
            return {"bId": bid, "Fault": fault.fault()}


def _by_id(doc: JsonDict) -> tuple[int, int, str]:
    return id_order(doc["Id"])
