"""A fake Stripe API on 127.0.0.1 speaking the wire format of the real one (form in, JSON out)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import stripe_events as ev

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PARAMS = web.RequestKey("params", dict[str, Any])
_KEY_RE = re.compile(r"^([^\[]+)((?:\[[^\]]*\])*)$")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it, form parameters already nested."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


def parse_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest Stripe's form keys: line_items[0][price]=x -> {"line_items": [{"price": "x"}]}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY_RE.match(key)
        parts = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))] if match else [key]
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":  # "expand[]" style: append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    """Dicts keyed 0..n become lists, as Stripe encodes arrays by index."""
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _error(status: int, message: str, *, type_: str = "invalid_request_error", **extra: Any):
    body = {"error": {"message": message, "type": type_, **extra}}
    return web.json_response(body, status=status, headers={"Request-Id": ev.new_id("req")})


class FakeStripeAPI:
    """Checkout sessions, portal sessions, subscriptions and charges, over real HTTP."""

    def __init__(self, api_key: str = "sk_test_fake_key_0000") -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: list[dict[str, Any]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.invoice_payments: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._subscription_metadata: dict[str, dict[str, str]] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeStripeAPI:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/v1/checkout/sessions", self._create_checkout)
        app.router.add_post("/v1/billing_portal/sessions", self._create_portal)
        app.router.add_get("/v1/subscriptions/{id}", self._get_subscription)
        app.router.add_delete("/v1/subscriptions/{id}", self._cancel_subscription)
        app.router.add_get("/v1/charges/{id}", self._get_charge)
        app.router.add_get("/v1/invoice_payments", self._list_invoice_payments)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_subscription(
        self, subscription: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Serve this subscription (or one built from fields) on GET /v1/subscriptions/{id}."""
        sub = subscription or ev.subscription_object(**fields)
        self.subscriptions[sub["id"]] = sub
        return sub

    def pay_invoice(self, subscription_id: str) -> dict[str, Any]:
        """A paid invoice for the subscription's period, now its latest invoice; the charge."""
        sub = self.subscriptions[subscription_id]
        invoice_id = ev.new_id("in")
        charge = ev.charge_object(customer=sub["customer"])
        self.charges[charge["id"]] = charge
        sub["latest_invoice"] = invoice_id
        self.invoice_payments.append(
            {
                "id": ev.new_id("inpay"),
                "object": "invoice_payment",
                "invoice": invoice_id,
                "amount_paid": charge["amount"],
                "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]},
            }
        )
        return charge

    def refund(self, charge_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund (all of) a charge; the charge.refunded event."""
        charge = self.charges[charge_id]
        charge["amount_refunded"] += charge["amount"] if amount is None else amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return ev.event("charge.refunded", dict(charge))

    def dispute(self, charge_id: str) -> dict[str, Any]:
        """The card holder's bank disputes a charge; the charge.dispute.created event."""
        charge = self.charges[charge_id]
        charge["disputed"] = True
        obj = ev.dispute_object(charge=charge_id, payment_intent=charge["payment_intent"])
        return ev.event("charge.dispute.created", obj)

    def fail_next(self, status: int = 500) -> None:
        """Answer the next request with this HTTP status and a Stripe error body."""
        self._failures.append(status)

    def complete_checkout(self, session_id: str) -> dict[str, Any]:
        """Pay a session: register its subscription, return the checkout.session.completed event."""
        session = self.checkout_sessions[session_id]
        sub_metadata = self._subscription_metadata.pop(session_id, {})
        sub = self.add_subscription(
            customer=session["customer"] or ev.new_id("cus"), user_id=sub_metadata.get("user_id")
        )
        session.update(
            status="complete",
            payment_status="paid",
            customer=sub["customer"],
            subscription=sub["id"],
            url=None,
        )
        return ev.event("checkout.session.completed", dict(session))

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        pairs = (
            (await request.post()).items() if request.method == "POST" else request.query.items()
        )
        params = parse_form((k, str(v)) for k, v in pairs)
        self.requests.append(
            RecordedRequest(request.method, request.path, params, dict(request.headers))
        )
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            masked = given[:8] + "*" * max(len(given) - 12, 0) + given[-4:]
            return _error(401, f"Invalid API Key provided: {masked}")
        if self._failures:
            status = self._failures.pop(0)
            return _error(status, "Something went wrong on Stripe's end.", type_="api_error")
        request[PARAMS] = params
        return await handler(request)

    async def _create_checkout(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        if "mode" not in p:
            return _error(400, "Missing required param: mode.", param="mode")
        items = p.get("line_items") or []
        if p["mode"] == "subscription" and not items:
            return _error(400, "Missing required param: line_items.", param="line_items")
        for item in items:
            if not str(item.get("price", "")).startswith("price_"):
                return _error(400, f"No such price: '{item.get('price')}'", code="resource_missing")
        session = ev.checkout_session_object(
            user_id=p.get("client_reference_id", ""), status="open"
        )
        session.update(
            customer=p.get("customer"),
            client_reference_id=p.get("client_reference_id"),
            metadata=p.get("metadata", {}),
            success_url=p.get("success_url"),
            cancel_url=p.get("cancel_url"),
            subscription=None,
        )
        self.checkout_sessions[session["id"]] = session
        sub_data = p.get("subscription_data", {})
        self._subscription_metadata[session["id"]] = sub_data.get("metadata", {})
        return web.json_response(session, headers={"Request-Id": ev.new_id("req")})

    async def _create_portal(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        if not p.get("customer"):
            return _error(400, "Missing required param: customer.", param="customer")
        portal = {
            "id": ev.new_id("bps"),
            "object": "billing_portal.session",
            "customer": p["customer"],
            "return_url": p.get("return_url"),
            "created": int(time.time()),
            "livemode": False,
            "url": f"https://billing.stripe.com/p/session/test_{ev.new_id('YWNjdA')[7:]}",
        }
        self.portal_sessions.append(portal)
        return web.json_response(portal, headers={"Request-Id": ev.new_id("req")})

    async def _get_subscription(self, request: web.Request) -> web.Response:
        sub_id = request.match_info["id"]
        if sub_id not in self.subscriptions:
            return _error(
                404, f"No such subscription: '{sub_id}'", code="resource_missing", param="id"
            )
        return web.json_response(self.subscriptions[sub_id])

    async def _cancel_subscription(self, request: web.Request) -> web.Response:
        sub = self.subscriptions.get(request.match_info["id"])
        if sub is None or sub["status"] in ("canceled", "incomplete_expired"):
            # Stripe answers a second cancel as if the subscription did not exist.
            sub_id = request.match_info["id"]
            return _error(
                404, f"No such subscription: '{sub_id}'", code="resource_missing", param="id"
            )
        now = int(time.time())
        sub.update(status="canceled", canceled_at=now, ended_at=now)
        return web.json_response(sub)

    async def _get_charge(self, request: web.Request) -> web.Response:
        charge = self.charges.get(request.match_info["id"])
        if charge is None:
            return _error(404, "No such charge", code="resource_missing", param="id")
        return web.json_response(charge)

    async def _list_invoice_payments(self, request: web.Request) -> web.Response:
        wanted = request[PARAMS].get("payment", {})
        status = request[PARAMS].get("status")
        found = [
            p
            for p in self.invoice_payments
            if all(p["payment"].get(k) == v for k, v in wanted.items())
            and (status is None or p["status"] == status)
        ]
        body = {"object": "list", "data": found, "has_more": False, "url": "/v1/invoice_payments"}
        return web.json_response(body)
