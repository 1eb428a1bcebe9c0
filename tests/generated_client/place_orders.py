"""Places orders on a running order-api through the client that
openapi-python-client generated from order-api/openapi.json, and prints what
it saw as one JSON line. tests/tests/generated_client_e2e.rs generates the
client, runs this with the generated package `order_client` on PYTHONPATH,
and asserts on that line.

Usage: place_orders.py BASE_URL

Only the generated client speaks to the API: its models, its operation
(`placeOrder`), its bearer-token client. Money is passed as the generator
types it; openapi-python-client maps every JSON number to `float`, whatever
its format (NSwag and Kiota map `format: decimal` to C# `decimal`).
"""

import json
import sys
import typing
import uuid

import httpx

from order_client import AuthenticatedClient
from order_client.api.orders import place_order
from order_client.models import ErrorBody, OrderConfirmation, OrderItemRequest, OrderRequest


def answer(response):
    """What a test needs of one answer: its status, the generated model it
    was parsed into, and that model's fields."""
    parsed = response.parsed
    seen = {"status": int(response.status_code), "model": type(parsed).__name__}
    if isinstance(parsed, OrderConfirmation):
        seen["orderId"] = str(parsed.order_id)  # a uuid.UUID: `format: uuid`
        seen["createdAt"] = parsed.created_at.isoformat()
        seen["replayed"] = response.headers.get("idempotent-replayed")
    elif isinstance(parsed, ErrorBody):
        seen["error"] = parsed.error
        seen["requestId"] = parsed.request_id
        if isinstance(parsed.errors, list):
            seen["errors"] = [{"field": e.field, "message": e.message} for e in parsed.errors]
    return seen


def main(base_url):
    sent = []
    client = AuthenticatedClient(
        base_url=base_url,
        # The local API runs without sign-in (AUTH_MODE=none) and ignores
        # it; a deployed stage reads the Cognito ID token from here.
        token="a-cognito-id-token",
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(15.0),
        httpx_args={"trust_env": False, "event_hooks": {"request": [sent.append]}},
    )

    order = OrderRequest(
        customer_name="Jane Doe",
        customer_email="jane@example.com",
        customer_id="CUST-12345",
        items=[
            OrderItemRequest(product_id="P-1", product_name="Widget", quantity=3, price=0.10, subtotal=0.30),
            OrderItemRequest(product_id="P-2", quantity=2, price=19.99),
        ],
        total_amount=40.28,
    )
    key = str(uuid.uuid4())
    seen = {}
    with client as client:
        seen["placed"] = answer(place_order.sync_detailed(client=client, body=order, idempotency_key=key))
        seen["authorization"] = sent[-1].headers.get("authorization")
        seen["body"] = sent[-1].content.decode()
        seen["replay"] = answer(place_order.sync_detailed(client=client, body=order, idempotency_key=key))

        other = OrderRequest(
            customer_name="Jane Doe",
            customer_email="jane@example.com",
            items=[OrderItemRequest(product_id="P-1", quantity=4, price=0.10)],
        )
        seen["keyReused"] = answer(place_order.sync_detailed(client=client, body=other, idempotency_key=key))

        invalid = OrderRequest(
            customer_name="J",
            customer_email="not-an-address",
            items=[OrderItemRequest(product_id="P-1", quantity=0, price=0.10)],
        )
        seen["invalid"] = answer(place_order.sync_detailed(client=client, body=invalid))

        # A subtotal computed in binary floating point: 3 × 0.1 is
        # 0.30000000000000004, which the API refuses rather than rounds.
        floating = OrderRequest(
            customer_name="Jane Doe",
            customer_email="jane@example.com",
            items=[OrderItemRequest(product_id="P-1", quantity=3, price=0.1, subtotal=3 * 0.1)],
        )
        seen["floatSubtotal"] = answer(place_order.sync_detailed(client=client, body=floating))

    hints = typing.get_type_hints(OrderItemRequest)
    seen["priceType"] = getattr(hints["price"], "__name__", str(hints["price"]))
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])
