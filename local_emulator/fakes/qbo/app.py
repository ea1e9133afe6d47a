"""The WSGI app: OAuth endpoints and the v3 REST API over a FakeQbo, with faults and throttles."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any

from werkzeug.wrappers import Request, Response

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.cdc import changes_since
from local_emulator.fakes.qbo.engine import FakeQbo
from local_emulator.fakes.qbo.errors import QboFault
from local_emulator.fakes.qbo.oauth import OAuthError
from local_emulator.fakes.qbo.wire import parse, render

DISCOVERY_PATH = "/.well-known/openid_configuration"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
API = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<rest>.+?)/?$")


def _json(status: int, body: Any) -> Response:
    text = body if isinstance(body, str) else render(body)
    return Response(text, status=status, content_type="application/json;charset=UTF-8")


class FakeQboApp:
    """A WSGI callable; ``public_url`` (scheme://host:port) is filled in by the server."""

    def __init__(
        self,
        fake: FakeQbo,
        public_url: str = "http://127.0.0.1",
        *,
        others: Sequence[FakeQbo] = (),
    ) -> None:
        """``others``: more companies (realms) on the same server, as Intuit serves every
        company at one base URL, each with its own grants, throttle and books."""
        self.fake = fake
        self.public_url = public_url
        self.realms = {f.realm_id: f for f in (fake, *others)}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        # Read the whole body before any answer: an early refusal (401, 429, 5xx) that left it
        # unread would leave it on the keep-alive connection, parsed as the next request.
        request.get_data()
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.rstrip("/") == DISCOVERY_PATH:
            return _json(200, self.discovery())
        if path == TOKEN_PATH and request.method == "POST":
            return self.token(request)
        if path == REVOKE_PATH and request.method == "POST":
            return self.revoke(request)
        if path == "/oauth2/v1/certs":
            return _json(200, {"keys": []})
        if path == "/v1/openid_connect/userinfo":
            if not self.fake.tokens.access_valid(_bearer(request)):
                return _json(401, {"error": "invalid_token"})
            return _json(200, {"sub": "fake-user", "emailVerified": True})
        match = API.match(path)
        if match:
            return self.api(request, match["realm"], match["rest"])
        return _json(404, {"error": "not_found", "path": path})

    # --- OAuth ----------------------------------------------------------------------------------

    def discovery(self) -> dict[str, str]:
        base = self.public_url
        return {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": base + TOKEN_PATH,
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": base + REVOKE_PATH,
            "jwks_uri": f"{base}/oauth2/v1/certs",
        }

    def _client(self, request: Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", 401) from None
        client_id, sep, secret = decoded.partition(":")
        if scheme.lower() != "basic" or not sep:
            raise OAuthError("invalid_client", 401)
        self.fake.tokens.check_client(client_id, secret)
        return client_id

    def token(self, request: Request) -> Response:
        try:
            client_id = self._client(request)
            form = request.form
            if form.get("grant_type") != "refresh_token":
                raise OAuthError("unsupported_grant_type")
            token = form.get("refresh_token", "")
            # One token endpoint for every company: the grant the token belongs to says which.
            company = next((f for f in self.realms.values() if f.tokens.knows(token)), self.fake)
            result = company.tokens.refresh(client_id, token)
        except OAuthError as exc:
            self.fake.count("token_refused")
            return _json(exc.status, {"error": exc.error})
        company.count("token_refresh")
        return _json(200, result)

    def revoke(self, request: Request) -> Response:
        try:
            self._client(request)
            body = parse(request.get_data() or b"{}")
        except OAuthError as exc:
            return _json(exc.status, {"error": exc.error})
        except ValueError:
            return _json(400, {"error": "invalid_request"})
        for company in self.realms.values():
            company.tokens.revoke(str(body.get("token", "")))
        return Response("", status=200)

    # --- the v3 API -------------------------------------------------------------------------

    def api(self, request: Request, realm: str, rest: str) -> Response:
        fake = self.realms.get(realm)
        bearer = _bearer(request)
        if fake is None or not fake.tokens.access_valid(bearer):
            # A token valid for another company is refused as not authorized for this one
            # (403 ApplicationAuthorizationFailed, Intuit's error code 003100), not as expired.
            elsewhere = any(f.tokens.access_valid(bearer) for f in self.realms.values())
            if elsewhere:
                self.fake.count("wrong_realm")
                fault = errors.authorization_failed(f"No access to company {realm}")
                return _json(403, {"Fault": fault.fault(), "time": self.fake.time()})
            (fake or self.fake).count("unauthorized")
            fault = errors.authentication_failed("Token expired or invalid")
            return _json(401, {"Fault": fault.fault(), "time": self.fake.time()})
        is_batch = rest.lower() == "batch"
        admitted = fake.throttle.try_acquire(
            batch=is_batch,
            items=_batch_items(request) if is_batch else 1,
            app=fake.tokens.client_of(_bearer(request)),
        )
        if not admitted:
            return self.throttled(fake)
        delay = 0.0
        try:
            injected = fake.faults.draw()
            if injected is not None:
                fake.count("faults_injected")
                fake.count(injected)
            if injected == "qbo_429":
                return self.throttled(fake)
            if injected == "qbo_5xx":
                status = fake.faults.choice((500, 503))
                fault = errors.system_fault(status)
                return _json(status, {"Fault": fault.fault(), "time": fake.time()})
            status, body = self.operation(fake, request, rest, is_batch)
            if injected == "qbo_drop_response":
                _drop(request)
            if injected == "qbo_timeout":
                delay = fake.faults.config.timeout_delay_seconds
        finally:
            fake.throttle.release()
        if delay:
            time.sleep(delay)  # real time: the client's own timeout must fire
        return _json(status, body)

    def throttled(self, fake: FakeQbo) -> Response:
        """3001 ThrottleExceeded with an XML body, HTTP 429 or the older 403 (a knob)."""
        status = fake.faults.throttle_status()
        fake.count("throttled")
        fake.count(f"throttled_{status}")
        body = errors.fault_xml(errors.throttled(status), fake.time())
        return Response(body, status=status, content_type="application/xml;charset=UTF-8")

    def operation(
        self, fake: FakeQbo, request: Request, rest: str, is_batch: bool
    ) -> tuple[int, str]:
        params = request.args
        minor = params.get("minorversion")
        if minor is not None and (not minor.isdigit() or int(minor) < fake.min_minor_version):
            fault = QboFault(
                "2010", "Request has invalid or unsupported property",
                f"minorversion {minor} is not supported; the minimum is {fake.min_minor_version}",
                element="minorversion",
            )  # fmt: skip
            return fault.status, render({"Fault": fault.fault(), "time": fake.time()})
        request_id = params.get("requestid")
        include = includes(params.get("include"))
        parts = rest.split("/")
        entity = parts[0]
        if entity.lower() == "upload" and request.method == "POST":
            return fake.respond(request_id, lambda: _upload(fake, request))
        if entity.lower() == "query":
            text = params.get("query") or request.get_data(as_text=True)
            return fake.respond(request_id, lambda: fake.query(text))
        if len(parts) == 1 and request.method == "GET" and entity.lower() == "exchangerate":
            source, as_of = params.get("sourcecurrencycode"), params.get("asofdate")
            return fake.respond(request_id, lambda: fake.exchange_rate(source, as_of))
        if len(parts) == 1 and request.method == "GET" and entity.lower() == "cdc":
            entities, since = params.get("entities"), params.get("changedSince")
            return fake.respond(request_id, lambda: changes_since(fake, entities, since))
        if len(parts) == 1 and request.method == "GET" and entity.lower() == "preferences":
            return fake.respond(request_id, fake.preferences)
        if len(parts) == 2 and request.method == "GET":
            link = "invoicelink" in include and entity.lower() == "invoice"
            base = self.public_url
            return fake.respond(
                request_id, lambda: fake.read(entity, parts[1], invoice_link=base if link else "")
            )
        if len(parts) != 1 or request.method != "POST":
            fault = errors.unsupported(f"{request.method} {rest} is not supported")
            return fault.status, render({"Fault": fault.fault(), "time": fake.time()})

        def perform() -> dict[str, Any]:
            body = _body(request)
            if is_batch:
                return fake.batch(body, request_id)
            operation = (params.get("operation") or "").lower()
            if operation == "void":
                return fake.void(entity, body, "operation")
            if operation == "delete":
                return fake.delete(entity, body)
            if operation not in ("", "update"):
                raise errors.unsupported(f"operation {operation} is not supported")
            if "void" in (params.get("include") or "").lower().split(","):
                return fake.void(entity, body, "include")
            if body.get("Id") not in (None, ""):
                return fake.update(entity, body)
            duplicates = "allowduplicatedocnum" in include
            return fake.create(entity, body, allow_duplicate_doc_number=duplicates)

        return fake.respond(request_id, perform)


# ``include=`` options QBO documents (Intuit API reference): allowduplicatedocnum (create a sales
# form whose DocNumber is taken), invoiceLink (read an Invoice with its customer-facing link),
# enhancedAllCustomFields (read custom fields: the fake keeps none), void (with
# operation=update: the void of a Payment or SalesReceipt). Others are ignored, as QBO does.


def includes(value: str | None) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in (value or "").split(",") if v.strip())


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _batch_items(request: Request) -> int:
    """How many payloads a batch carries, for the throttle (a body it cannot read counts 1)."""
    try:
        items = parse(request.get_data() or b"{}").get("BatchItemRequest")
    except (ValueError, AttributeError):
        return 1
    return len(items) if isinstance(items, list) and items else 1


def _body(request: Request) -> dict[str, Any]:
    try:
        body = parse(request.get_data() or b"{}")
    except ValueError:
        raise errors.QboFault(
            "2000", "Request has invalid JSON", "could not parse the body"
        ) from None
    if not isinstance(body, dict):
        raise errors.QboFault("2000", "Request has invalid JSON", "the body is not an object")
    return body


def _upload(fake: FakeQbo, request: Request) -> dict[str, Any]:
    """Multipart: ``file_metadata_NN`` (Attachable JSON) and ``file_content_NN`` (base64)."""
    form = request.form
    meta_key = next((k for k in form if k.startswith("file_metadata_")), None)
    content_key = next((k for k in form if k.startswith("file_content_")), None)
    upload = next(iter(request.files.values()), None)
    if meta_key is None or (content_key is None and upload is None):
        raise errors.required_missing("file_metadata_01/file_content_01")
    try:
        metadata = parse(form[meta_key])
        if upload is not None:
            content, content_type = upload.read(), upload.mimetype
        else:
            content = base64.b64decode("".join(str(form[content_key or ""]).split()), validate=True)
            content_type = str(metadata.get("ContentType") or "application/octet-stream")
    except (ValueError, binascii.Error):
        raise errors.QboFault("2000", "Request has invalid content", "bad upload part") from None
    if not isinstance(metadata, dict):
        raise errors.required_missing("file_metadata_01")
    return fake.upload(metadata, content, content_type)


def _drop(request: Request) -> None:
    """Close the connection without answering: the client sees a connection error."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("fake QBO dropped the response on purpose")


__all__ = ["DISCOVERY_PATH", "FakeQboApp"]
