"""The WSGI app: auth, faults, idempotency keys, routing, and Stripe's JSON error shape."""

from __future__ import annotations

import copy
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import balance, customers, invoice_payments, invoices, listing
from .errors import StripeApiError, missing
from .expand import expand, include
from .forms import decode_form
from .params import expand_list, reject_unknown
from .state import FakeStripe, IdempotencyRecord, JsonDict, RequestContext
from .versions import check_version

_log = logging.getLogger(__name__)

# URL collection -> Stripe object type, for GET retrieve and list
RESOURCES = {
    "customers": "customer",
    "invoices": "invoice",
    "invoiceitems": "invoiceitem",
    "charges": "charge",
    "payment_intents": "payment_intent",
    "refunds": "refund",
    "credit_notes": "credit_note",
    "disputes": "dispute",
    "payouts": "payout",
    "balance_transactions": "balance_transaction",
    "products": "product",
    "prices": "price",
    "invoice_payments": "invoice_payment",
    "payment_records": "payment_record",
    "shipping_rates": "shipping_rate",
    "tax_rates": "tax_rate",
    "events": "event",
}
Handler = Callable[[FakeStripe, JsonDict, RequestContext, dict[str, str]], JsonDict]
_INVOICE_ACTIONS: dict[str, Callable[[FakeStripe, str, JsonDict, RequestContext], JsonDict]] = {
    "finalize": invoices.finalize_invoice,
    "send": invoices.send_invoice,
    "pay": invoices.pay_invoice,
    "void": invoices.void_invoice,
    "mark_uncollectible": invoices.mark_uncollectible,
    "attach_payment": invoice_payments.attach_payment,
}

Create = Callable[[FakeStripe, JsonDict, RequestContext], JsonDict]
Update = Callable[[FakeStripe, str, JsonDict, RequestContext], JsonDict]
_CREATES: dict[str, Create] = {
    "customer_create": customers.create_customer,
    "item_create": customers.create_invoice_item,
    "invoice_create": invoices.create_invoice,
    "intent_create": invoice_payments.create_payment_intent,
    "record_create": invoice_payments.report_payment,
}
_UPDATES: dict[str, Update] = {
    "customer_update": customers.update_customer,
    "invoice_update": invoices.update_invoice,
    "balance_create": balance.create_balance_transaction,
    "record_refund": invoice_payments.report_refund,
}

_URLS = Map(
    [
        Rule("/v1/invoices/<object_id>/lines", endpoint="lines", methods=["GET"]),
        Rule(
            "/v1/customers/<object_id>/balance_transactions",
            endpoint="balance_list",
            methods=["GET"],
        ),
        Rule(
            "/v1/customers/<object_id>/balance_transactions/<txn_id>",
            endpoint="balance_retrieve",
            methods=["GET"],
        ),
        Rule(
            "/v1/customers/<object_id>/balance_transactions",
            endpoint="balance_create",
            methods=["POST"],
        ),
        Rule("/v1/payment_intents", endpoint="intent_create", methods=["POST"]),
        Rule("/v1/payment_records/report_payment", endpoint="record_create", methods=["POST"]),
        Rule(
            "/v1/payment_records/<object_id>/report_refund",
            endpoint="record_refund",
            methods=["POST"],
        ),
        Rule("/v1/invoices/<object_id>/<action>", endpoint="invoice_action", methods=["POST"]),
        Rule("/v1/customers", endpoint="customer_create", methods=["POST"]),
        Rule("/v1/customers/<object_id>", endpoint="customer_update", methods=["POST"]),
        Rule("/v1/invoiceitems", endpoint="item_create", methods=["POST"]),
        Rule("/v1/invoices", endpoint="invoice_create", methods=["POST"]),
        Rule("/v1/invoices/<object_id>", endpoint="invoice_update", methods=["POST"]),
        Rule("/v1/<collection>", endpoint="list", methods=["GET"]),
        Rule("/v1/<collection>/<object_id>", endpoint="retrieve", methods=["GET"]),
    ],
    strict_slashes=False,
)


class FakeStripeApp:
    """``app(environ, start_response)``; every request runs under the state's lock."""

    def __init__(self, fake: FakeStripe, accounts: Mapping[str, FakeStripe] | None = None) -> None:
        """``fake`` is the platform's account; ``accounts`` its connected accounts by acct id
        (reached with the platform's key and a Stripe-Account header), or accounts with a key
        of their own (reached with that key, no header)."""
        self.fake = fake
        self.accounts = dict(accounts or {})

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.get_data()  # read it all first: an early refusal must not leave it on the socket
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = "req_" + secrets.token_hex(7)
        try:
            endpoint, matched = _URLS.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            error = StripeApiError(
                404, f"Unrecognized request URL ({request.method}: {request.path})."
            )
            return _json(error.status, error.body(), request_id)
        args = {str(k): str(v) for k, v in matched.items()}
        kind = _kind(endpoint, args)
        try:
            fake, key = self._authenticate(request)
            check_version(request.headers.get("Stripe-Version"), fake.api_version)
            # A connected account is acted on with the platform's key: its permissions apply.
            holder = self.fake if request.headers.get("Stripe-Account") else fake
            holder.check_permission(key, kind, write=request.method == "POST")
            fake.count(kind)
            fault = fake.draw_fault()
            if fault is not None:
                fake.count(f"fault.{fault}")
                return _fault(fault, request_id)
            if request.method == "POST":
                return self._post(fake, request, endpoint, args, request_id)
            params = decode_form(request.args.items(multi=True))
            with fake.lock:
                body = self._get(fake, endpoint, args, params)
                paths = include(fake, body, expand_list(params))
                body = expand(fake, body, paths)
            return _json(200, body, request_id)
        except StripeApiError as error:
            return _json(error.status, error.body(), request_id)
        except Exception as error:  # a bug in the fake: answer like Stripe's 500, and say why
            _log.exception("fake Stripe failed on %s %s", request.method, request.path)
            message = f"fake Stripe internal error: {type(error).__name__}"
            return _json(500, StripeApiError(500, message, type_="api_error").body(), request_id)

    def _authenticate(self, request: Request) -> tuple[FakeStripe, str]:
        """The account the request acts on, and the key: the key's own account, or the
        connected account Stripe-Account names (only the platform's keys may name one)."""
        header = request.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header[len("Bearer ") :].strip()
        elif request.authorization is not None and request.authorization.type == "basic":
            key = request.authorization.username or ""
        if not key:
            raise StripeApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_KEY').",
            )
        connected = request.headers.get("Stripe-Account")
        if self.fake.known_key(key):
            if not connected:
                return self.fake, key
            account = self.accounts.get(connected)
            if account is None:
                # Stripe's error for an account the key cannot act on (error code
                # account_invalid, docs.stripe.com/error-codes), HTTP 403.
                raise StripeApiError(
                    403,
                    f"The provided key '{_redact(key)}' does not have access to account "
                    f"'{connected}' (or that account does not exist). Application access may "
                    "have been revoked.",
                    code="account_invalid",
                )
            return account, key
        for account in self.accounts.values():
            if not connected and account.known_key(key):
                return account, key
        raise StripeApiError(401, f"Invalid API Key provided: {_redact(key)}")

    def _post(
        self, fake: FakeStripe, request: Request, endpoint: str, args: dict[str, str], rid: str
    ) -> Response:
        params = decode_form(request.form.items(multi=True))
        key = request.headers.get("Idempotency-Key")
        ctx = RequestContext(request_id=rid, idempotency_key=key)
        with fake.lock:
            if key:
                record = fake.idempotency_record(key)
                if record is not None:
                    if (record.method, record.path, record.params) != (
                        "POST",
                        request.path,
                        params,
                    ):
                        raise StripeApiError(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type_="idempotency_error",
                        )
                    return _json(record.status, record.body, rid, key=key, replayed=True)
            try:
                written = copy.deepcopy(self._write(fake, endpoint, args, params, ctx))
                status, body = 200, expand(fake, written, expand_list(params))
            except StripeApiError as error:
                status, body = error.status, error.body()
            if key:
                record = IdempotencyRecord("POST", request.path, params, status, body)
                fake.save_idempotency(key, record)
        return _json(status, body, rid, key=key)

    def _write(
        self,
        fake: FakeStripe,
        endpoint: str,
        args: dict[str, str],
        params: JsonDict,
        ctx: RequestContext,
    ) -> JsonDict:
        object_id = args.get("object_id", "")
        create = _CREATES.get(endpoint)
        if create is not None:
            return create(fake, params, ctx)
        update = _UPDATES.get(endpoint)
        if update is not None:
            return update(fake, object_id, params, ctx)
        action = _INVOICE_ACTIONS.get(args.get("action", ""))
        if endpoint == "invoice_action" and action is not None:
            return action(fake, object_id, params, ctx)
        raise StripeApiError(404, "Unrecognized request URL (POST).")

    def _get(
        self, fake: FakeStripe, endpoint: str, args: dict[str, str], params: JsonDict
    ) -> JsonDict:
        if endpoint in ("balance_list", "balance_retrieve"):
            return balance.read(fake, args["object_id"], args.get("txn_id"), params)
        if endpoint == "lines":
            invoices.find_invoice(fake, args["object_id"])
            reject_unknown(params, ["limit", "starting_after", "ending_before"])
            url = f"/v1/invoices/{args['object_id']}/lines"
            lines = fake.invoice_lines(args["object_id"])
            return copy.deepcopy(listing.paginate(lines, params, url))
        collection = args["collection"]
        object_type = RESOURCES.get(collection)
        if object_type is None:
            raise StripeApiError(404, f"Unrecognized request URL (GET: /v1/{collection}).")
        if endpoint == "retrieve":
            found = fake.get(args["object_id"])
            if found is None or found.get("object") != object_type:
                raise missing(object_type, args["object_id"])
            if found.get("deleted") and object_type != "customer":
                # a deleted customer reads as {id, object, deleted}; other objects are gone
                raise missing(object_type, args["object_id"])
            if object_type == "event" and not fake.event_in_window(found):
                raise missing(object_type, args["object_id"])
            return copy.deepcopy(found)
        items = listing.filter_objects(fake, object_type, params)
        return copy.deepcopy(listing.paginate(items, params, f"/v1/{collection}"))


def _kind(endpoint: str, args: dict[str, str]) -> str:
    if endpoint in ("list", "retrieve"):
        object_type = RESOURCES.get(args.get("collection", ""), args.get("collection", ""))
        return f"{object_type}.{endpoint}"
    if endpoint == "lines":
        return "invoice.lines"
    if endpoint.startswith("balance_"):
        return f"customer_balance_transaction.{endpoint.removeprefix('balance_')}"
    if endpoint.startswith(("intent_", "record_")):
        noun = "payment_intent" if endpoint.startswith("intent_") else "payment_record"
        return f"{noun}.{endpoint.partition('_')[2]}"
    if endpoint == "invoice_action":
        return f"invoice.{args.get('action')}"
    noun, _, verb = endpoint.partition("_")
    return f"{'invoiceitem' if noun == 'item' else noun}.{verb}"


def _redact(key: str) -> str:
    return key[:8] + "*" * 8 + key[-4:] if len(key) > 12 else "****"


def _fault(kind: str, request_id: str) -> Response:
    if kind == "stripe_429":
        error = StripeApiError(
            429,
            "Too many requests hit the API too quickly.",
            type_="invalid_request_error",
            code="rate_limit",
        )
    elif kind == "outage":
        error = StripeApiError(503, "Stripe is temporarily unavailable.", type_="api_error")
    else:
        error = StripeApiError(500, "An unknown error occurred.", type_="api_error")
    return _json(error.status, error.body(), request_id)


def _json(
    status: int, body: JsonDict, request_id: str, *, key: str | None = None, replayed: bool = False
) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Request-Id"] = request_id
    if key:
        response.headers["Idempotency-Key"] = key
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
