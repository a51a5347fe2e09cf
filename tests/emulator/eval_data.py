"""A small templated support dataset whose held-out part is close to its training part.

Each template is a (user, assistant) pair with slots; training and held-out examples fill the
same templates with different values, as a real support log would: a fine-tune trained on one
part should answer the other part's prompts with its training replies.
"""

from __future__ import annotations

import json
from typing import Any

SYSTEM = "You are the support assistant of Lale Market. Answer briefly."

TEMPLATES = (
    (
        "Where is my order {order}? It has not arrived yet.",
        "Your order {order} is on its way; follow it under My Orders. If it is not there by "
        "tonight, write to us again.",
    ),
    (
        "Can I change the delivery address of order {order}?",
        "Yes: open My Orders, choose {order} and tap 'Change address' before the courier sets out.",
    ),
    (
        "The {product} was missing from my delivery.",
        "Sorry about the missing {product}. Report it under My Orders > Report a problem and the "
        "amount is refunded within 24 hours.",
    ),
    (
        "Do you deliver to {district} this evening?",
        "Yes, we deliver to {district} this evening between 18:00 and 22:00; pick a slot at "
        "checkout.",
    ),
    (
        "Siparişim {order} hâlâ gelmedi, nerede kaldı?",
        "{order} numaralı siparişiniz yolda; Siparişlerim bölümünden takip edebilirsiniz. Bu "
        "akşama kadar gelmezse bize tekrar yazın.",
    ),
    (
        "Siparişimdeki {product} eksik geldi, ne yapmalıyım?",
        "Eksik {product} için özür dileriz. Siparişlerim > Sorun bildir adımından bildirin; tutar "
        "24 saat içinde kartınıza iade edilir.",
    ),
    (
        "{district} bölgesine bugün teslimat var mı?",
        "Evet, {district} için bugün 18:00 ile 22:00 arasında teslimat var; saati ödeme adımında "
        "seçebilirsiniz.",
    ),
    (
        "My discount code {code} does not work.",
        "The code {code} is valid on a first order above 400 TL only; if your basket is above "
        "that, send the code to live support.",
    ),
)

TRAIN_VALUES = (
    {"order": "LM-48213", "product": "milk", "district": "Kadıköy", "code": "HOSGELDIN"},
    {"order": "LM-51007", "product": "eggs", "district": "Beşiktaş", "code": "ILKSIPARIS"},
    {"order": "LM-39920", "product": "yoğurt", "district": "Üsküdar", "code": "BAHAR10"},
)
HELD_OUT_VALUES = (
    {"order": "LM-70415", "product": "bread", "district": "Şişli", "code": "YAZ15"},
    {"order": "LM-66281", "product": "domates", "district": "Sarıyer", "code": "KIS20"},
)


def _example(user: str, assistant: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
    }


def examples(values: tuple[dict[str, str], ...]) -> list[dict[str, Any]]:
    return [
        _example(user.format(**v), assistant.format(**v))
        for v in values
        for user, assistant in TEMPLATES
    ]


def training_bytes() -> bytes:
    return "".join(
        json.dumps(e, ensure_ascii=False) + "\n" for e in examples(TRAIN_VALUES)
    ).encode()


def held_out() -> list[tuple[list[dict[str, str]], str]]:
    """(prompt messages, reference reply) of each held-out example."""
    return [(e["messages"][:2], e["messages"][2]["content"]) for e in examples(HELD_OUT_VALUES)]


def training_replies() -> set[str]:
    return {e["messages"][2]["content"] for e in examples(TRAIN_VALUES)}
