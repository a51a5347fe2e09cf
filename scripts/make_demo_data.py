"""Write the demo datasets shipped in `tuner/demo/data/` (deterministic: same files every run).

The demo is a support bot for "Lale Market", an online grocery in Istanbul that answers in
Turkish and English. `support-eval/` holds a larger set for evaluation: `train.jsonl` and a
`holdout.jsonl` whose prompts are close to the training ones. Run from the repository root:

    python scripts/make_demo_data.py
"""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tuner" / "demo" / "data"
SEED = 20260507

SYSTEM_TR = (
    "Sen Lale Market'in müşteri destek asistanısın. Kısa, nazik ve net yanıt ver; "
    "emin olmadığın konularda müşteriyi canlı desteğe yönlendir."
)
SYSTEM_EN = (
    "You are the customer support assistant of Lale Market, an online grocery in Istanbul. "
    "Answer briefly and politely; hand the customer to live support when you are unsure."
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Look up the delivery status of an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "description": "e.g. LM-48213"}},
                "required": ["order_id"],
            },
        },
    }
]

NAMES_TR = ["Ayşe", "Mehmet", "Zeynep", "Emre", "Elif", "Burak", "Selin", "Oğuz", "Deniz", "Gül"]
NAMES_EN = ["Anna", "James", "Priya", "Lukas", "Maria", "Tom", "Sofia", "Ahmed", "Chen", "Laura"]
PRODUCTS_TR = ["süt", "yumurta", "domates", "beyaz peynir", "ekmek", "zeytinyağı", "muz", "yoğurt"]
PRODUCTS_EN = ["milk", "eggs", "tomatoes", "feta cheese", "bread", "olive oil", "bananas", "yogurt"]
DISTRICTS = ["Kadıköy", "Beşiktaş", "Üsküdar", "Şişli", "Bakırköy", "Ataşehir", "Sarıyer"]

# (user, assistant) pairs; {name} {product} {district} {order} {n} are filled in per example.
SINGLE_TR = [
    (
        "Siparişimdeki {product} eksik geldi, ne yapmalıyım?",
        "Üzgünüz {name} Hanım/Bey. Eksik ürün için uygulamada Siparişlerim > {order} > "
        "'Sorun bildir' adımından eksik ürünü seçin; tutar 24 saat içinde kartınıza iade edilir.",
    ),
    (
        "{district} bölgesine bugün teslimat var mı?",
        "Evet, {district} için bugün 18:00–20:00 ve 20:00–22:00 aralıklarında boş teslimat "
        "saatleri var. Sepetinizi onaylarken saat aralığını seçebilirsiniz.",
    ),
    (
        "Minimum sipariş tutarı ne kadar?",
        "Minimum sipariş tutarı 250 TL'dir. 750 TL ve üzeri siparişlerde teslimat ücretsizdir.",
    ),
    (
        "Kapıda ödeme yapabilir miyim?",
        "Kapıda kartla ödeme yapabilirsiniz; nakit ödeme şu an kabul edilmiyor. Ödeme adımında "
        "'Kapıda kartla öde' seçeneğini işaretlemeniz yeterli.",
    ),
    (
        "Ürün bulunamazsa yerine başka ürün gönderiyor musunuz?",
        "Sepette her ürün için 'Benzeriyle değiştir' ya da 'Değiştirme, iade et' seçeneği var. "
        "Seçim yapmazsanız kuryemiz sizi arayıp sorar.",
    ),
    (
        "İndirim kodum çalışmıyor: {code}",
        "{code} kodu yalnızca ilk siparişte ve 400 TL üzeri sepetlerde geçerli. Sepet tutarınız "
        "bu sınırın altındaysa kod uygulanmaz; başka bir sorun varsa kodu canlı desteğe iletin.",
    ),
    (
        "Hesabımı nasıl silerim?",
        "Profil > Hesap ayarları > 'Hesabımı sil' adımını izleyin. Açık siparişiniz varsa önce "
        "teslim edilmesini beklemeniz gerekir. Kişisel verileriniz 30 gün içinde silinir.",
    ),
    (
        "Aldığım {product} ürününün son kullanma tarihi çok yakın.",
        "Bildirdiğiniz için teşekkürler {name}. Son kullanma tarihine 3 günden az kalan ürünleri "
        "iade alıyoruz; fotoğrafını Siparişlerim > {order} üzerinden yüklerseniz iade başlatılır.",
    ),
    (
        "Glutensiz ürünleriniz var mı?",
        "Evet. Arama kutusunun altındaki 'Glutensiz' filtresiyle 300'den fazla ürünü "
        "listeleyebilirsiniz. Alerjen bilgisi her ürün sayfasında 'İçindekiler' bölümündedir.",
    ),
    (
        "Teslimat saatimi değiştirebilir miyim?",
        "Sipariş hazırlanmaya başlamadan önce değiştirebilirsiniz: Siparişlerim > {order} > "
        "'Teslimat saatini değiştir'. Hazırlık başladıysa canlı destek yardımcı olabilir.",
    ),
]

SINGLE_EN = [
    (
        "My order arrived without the {product}. What now?",
        "Sorry about that, {name}. In the app go to My orders > {order} > 'Report a problem' "
        "and pick the missing item; the amount is refunded to your card within 24 hours.",
    ),
    (
        "Do you deliver to {district} today?",
        "Yes, {district} has free slots today between 18:00–20:00 and 20:00–22:00. You can pick "
        "one when you confirm your basket.",
    ),
    (
        "What's the minimum order?",
        "The minimum order is 250 TL, and delivery is free from 750 TL.",
    ),
    (
        "Can I pay in cash on delivery?",
        "We take cards at the door, but not cash at the moment. Choose 'Pay by card on delivery' "
        "at checkout.",
    ),
    (
        "The promo code {code} doesn't work.",
        "{code} is valid on a first order above 400 TL only. If your basket is below that the "
        "code won't apply; otherwise please send the code to live support and we'll check it.",
    ),
    (
        "How do I change my delivery address?",
        "Open Profile > Addresses, add the new address and mark it as default. For an order "
        "already placed, live support can change the address until it is picked.",
    ),
    (
        "Are your eggs free-range?",
        "Most are: look for the 'Gezen tavuk' (free-range) label on the product page. Each "
        "product page lists the farm and the production method.",
    ),
    (
        "I was charged twice for order {order}.",
        "I'm sorry, {name}. A second charge is usually a pre-authorisation that drops off within "
        "3 business days. If it's still there after that, live support will refund it at once.",
    ),
    (
        "Can I leave the order with my neighbour?",
        "Yes. Add a delivery note such as 'leave with flat {n}' at checkout, and the courier "
        "will follow it. Chilled items are best handed over within 30 minutes.",
    ),
    (
        "Do you have lactose-free milk?",
        "Yes, we stock lactose-free milk and yogurt from two brands. Use the 'Lactose-free' "
        "filter under Dairy to see them all.",
    ),
]

MULTI_TR = [
    [
        (
            "Merhaba, siparişimi iptal etmek istiyorum.",
            "Tabii {name}. Sipariş numaranızı paylaşır mısınız?",
        ),
        (
            "{order}",
            "{order} henüz hazırlanmaya başlamadı, iptal ettim. Ödemeniz 1–3 iş günü "
            "içinde kartınıza iade edilecek.",
        ),
    ],
    [
        ("Kurye yanlış adrese gitmiş galiba.", "Hemen bakalım. Sipariş numaranız nedir?"),
        (
            "{order}, adres {district}.",
            "Kuryemizi bilgilendirdim; {district} adresinize "
            "yönlendirildi. Yaklaşık 20 dakika içinde kapınızda olacak.",
        ),
        ("Teşekkürler!", "Rica ederim {name}, afiyet olsun!"),
    ],
]

MULTI_EN = [
    [
        (
            "Hi, I'd like to cancel my order.",
            "Of course, {name}. Could you share the order number?",
        ),
        (
            "It's {order}.",
            "{order} hadn't been picked yet, so I've cancelled it. The payment "
            "returns to your card within 1–3 business days.",
        ),
    ],
    [
        ("I want to return some {product}.", "Sure. Is the packaging unopened?"),
        (
            "Yes, still sealed.",
            "Then you can return it within 14 days: My orders > {order} > "
            "'Return items'. A courier collects it with your next delivery.",
        ),
        ("Great, thanks.", "You're welcome, {name}!"),
    ],
]

STATUS = {
    "tr": (
        "Yolda",
        "Siparişiniz {order} yolda; kurye {district} bölgesinde, tahmini varış {eta} dakika.",
    ),
    "en": (
        "on_the_way",
        "Your order {order} is on its way; the courier is in {district}, about {eta} minutes away.",
    ),
}


def fill(text: str, values: dict[str, str]) -> str:
    return text.format(**values)


def values_for(rng: random.Random, lang: str) -> dict[str, str]:
    names = NAMES_TR if lang == "tr" else NAMES_EN
    products = PRODUCTS_TR if lang == "tr" else PRODUCTS_EN
    return {
        "name": rng.choice(names),
        "product": rng.choice(products),
        "district": rng.choice(DISTRICTS),
        "order": f"LM-{rng.randint(10000, 99999)}",
        "code": rng.choice(["HOSGELDIN", "LALE50", "ILKSIPARIS"]),
        "n": str(rng.randint(2, 24)),
        "eta": str(rng.randint(8, 35)),
    }


def single(rng: random.Random, lang: str, pair: tuple[str, str]) -> dict[str, object]:
    v = values_for(rng, lang)
    return {
        "messages": [
            {"role": "system", "content": SYSTEM_TR if lang == "tr" else SYSTEM_EN},
            {"role": "user", "content": fill(pair[0], v)},
            {"role": "assistant", "content": fill(pair[1], v)},
        ]
    }


def multi(rng: random.Random, lang: str, turns: list[tuple[str, str]]) -> dict[str, object]:
    v = values_for(rng, lang)
    messages: list[dict[str, str]] = [
        {"role": "system", "content": SYSTEM_TR if lang == "tr" else SYSTEM_EN}
    ]
    for user, assistant in turns:
        messages.append({"role": "user", "content": fill(user, v)})
        messages.append({"role": "assistant", "content": fill(assistant, v)})
    return {"messages": messages}


def tool_call(rng: random.Random, lang: str, index: int) -> dict[str, object]:
    v = values_for(rng, lang)
    status, answer = STATUS[lang]
    call_id = f"call_demo{index:03d}"
    question = (
        f"{v['order']} numaralı siparişim nerede?"
        if lang == "tr"
        else f"Where is my order {v['order']}?"
    )
    return {
        "messages": [
            {"role": "system", "content": SYSTEM_TR if lang == "tr" else SYSTEM_EN},
            {"role": "user", "content": question},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": "get_order_status",
                            "arguments": json.dumps({"order_id": v["order"]}),
                        },
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": call_id,
                "content": json.dumps(
                    {"status": status, "district": v["district"], "eta_minutes": int(v["eta"])},
                    ensure_ascii=False,
                ),
            },
            {"role": "assistant", "content": fill(answer, v)},
        ],
        "tools": TOOLS,
    }


def examples(rng: random.Random, count: int) -> list[dict[str, object]]:
    """`count` distinct examples: templates without placeholders would otherwise repeat, and a
    demo file full of duplicate warnings would teach the wrong lesson."""
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    i = 0
    while len(out) < count:
        lang = "tr" if i % 2 == 0 else "en"
        kind = i % 10
        if kind == 3:
            example = multi(rng, lang, rng.choice(MULTI_TR if lang == "tr" else MULTI_EN))
        elif kind == 7:
            example = tool_call(rng, lang, i)
        else:
            example = single(rng, lang, rng.choice(SINGLE_TR if lang == "tr" else SINGLE_EN))
        i += 1
        if dumps(example) not in seen:
            seen.add(dumps(example))
            out.append(example)
    return out


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def broken_lines(rng: random.Random) -> list[str]:
    """Realistic mistakes, each on its own line, among a few good examples."""
    good = [dumps(e) for e in examples(rng, 8)]
    typo = single(rng, "en", SINGLE_EN[2])
    typo = {"mesages": typo["messages"]}
    unknown_role = single(rng, "tr", SINGLE_TR[2])
    unknown_role["messages"][2]["role"] = "asistan"  # type: ignore[index]
    no_assistant = single(rng, "en", SINGLE_EN[5])
    no_assistant["messages"] = no_assistant["messages"][:2]  # type: ignore[index]
    bad_json = dumps(single(rng, "tr", SINGLE_TR[0]))[:-2]  # cut off mid-object
    return [
        good[0],
        good[1],
        bad_json,
        good[2],
        dumps(typo),
        good[3],
        dumps(unknown_role),
        good[4],
        dumps(no_assistant),
        good[5],
        good[6],
        good[7],
    ]


def legacy_json(rng: random.Random) -> str:
    """Pretty-printed objects in a JSON array, with the trailing commas a hand edit leaves."""
    items = [json.dumps(e, ensure_ascii=False, indent=2) for e in examples(rng, 12)]
    # Trailing commas after the last message of some objects and after the last object.
    items = [
        item.replace('"\n    }\n  ]\n}', '"\n    },\n  ]\n}') if i % 4 == 1 else item
        for i, item in enumerate(items)
    ]
    body = ",\n".join(textwrap.indent(item, "  ") for item in items)
    return "[\n" + body + ",\n]\n"


def preference(rng: random.Random, count: int) -> list[str]:
    out = []
    pairs = [(p, "tr") for p in SINGLE_TR] + [(p, "en") for p in SINGLE_EN]
    for i in range(count):
        (user, good), lang = pairs[(i * 7) % len(pairs)]
        v = values_for(rng, lang)
        curt = "Bilmiyorum, uygulamaya bakın." if lang == "tr" else "Not sure, check the app."
        out.append(
            dumps(
                {
                    "input": {
                        "messages": [
                            {"role": "system", "content": SYSTEM_TR if lang == "tr" else SYSTEM_EN},
                            {"role": "user", "content": fill(user, v)},
                        ]
                    },
                    "preferred_output": [{"role": "assistant", "content": fill(good, v)}],
                    "non_preferred_output": [{"role": "assistant", "content": curt}],
                }
            )
        )
    return out


PROMPTS_TR = [
    "Merhaba, bu akşam için market siparişi vermek istiyorum.",
    "Kadıköy'e saat kaçta teslimat yapabilirsiniz?",
    "Sepetime iki litre süt ve bir düzine yumurta ekler misin?",
    "Laktozsuz süt seçeneğiniz var mı?",
    "O zaman sütü laktozsuz olanla değiştirelim.",
    "İndirim kodum HOSGELDIN, uygulanır mı?",
    "Toplam tutar ne kadar oldu?",
    "Kapıda kartla ödemek istiyorum.",
    "Teslimatı 20:00–22:00 aralığına alalım lütfen.",
    "Teşekkürler, siparişi onaylıyorum.",
]


# The evaluation set (support-eval/): each intent has a few phrasings of the question and one
# reply, all with slots, so a held-out example is a prompt close to (never the same as) a
# training one, as in a real support log. A fine-tune trained on train.jsonl answers most of
# holdout.jsonl with its training replies; its base does not.
EVAL_INTENTS: dict[str, list[tuple[list[str], str]]] = {
    "tr": [
        (
            [
                "Siparişim {order} hâlâ gelmedi, nerede?",
                "{order} numaralı siparişim nerede kaldı?",
                "Sipariş {order} ne zaman gelir?",
            ],
            "{order} numaralı siparişiniz yolda; kurye {district} bölgesinde, yaklaşık {eta} "
            "dakika içinde kapınızda olur.",
        ),
        (
            [
                "Siparişimdeki {product} eksik geldi.",
                "{product} siparişimden çıkmadı, ne yapmalıyım?",
                "Gelen pakette {product} yoktu.",
            ],
            "Üzgünüz {name}. Siparişlerim > {order} > 'Sorun bildir' adımından eksik {product} "
            "ürününü seçin; tutar 24 saat içinde kartınıza iade edilir.",
        ),
        (
            [
                "{district} bölgesine bugün teslimat var mı?",
                "Bugün {district} adresine getirebilir misiniz?",
                "{district} için bu akşam boş saat var mı?",
            ],
            "Evet, {district} için bugün 18:00–20:00 ve 20:00–22:00 aralıklarında boş saat var; "
            "sepeti onaylarken seçebilirsiniz.",
        ),
        (
            [
                "İndirim kodum {code} çalışmıyor.",
                "{code} kodunu girince hata alıyorum.",
                "{code} kuponu neden uygulanmıyor?",
            ],
            "{code} kodu yalnızca ilk siparişte ve 400 TL üzeri sepetlerde geçerli; sepetiniz bu "
            "sınırın üstündeyse kodu canlı desteğe iletin.",
        ),
        (
            [
                "{order} siparişimin teslimat saatini değiştirebilir miyim?",
                "{order} için teslimat saatini ileri alabilir miyiz?",
            ],
            "Hazırlık başlamadan önce Siparişlerim > {order} > 'Teslimat saatini değiştir' "
            "adımından yeni saati seçebilirsiniz.",
        ),
    ],
    "en": [
        (
            [
                "Where is my order {order}? It hasn't arrived.",
                "My order {order} is late, where is it?",
                "When will order {order} get here?",
            ],
            "Your order {order} is on its way; the courier is in {district}, about {eta} minutes "
            "away.",
        ),
        (
            [
                "My order came without the {product}.",
                "The {product} was missing from my delivery.",
                "I didn't get the {product} I ordered.",
            ],
            "Sorry about that, {name}. Go to My orders > {order} > 'Report a problem' and pick "
            "the {product}; the amount is refunded to your card within 24 hours.",
        ),
        (
            [
                "Do you deliver to {district} today?",
                "Can you bring my groceries to {district} this evening?",
                "Any free delivery slots for {district} today?",
            ],
            "Yes, {district} has free slots today between 18:00–20:00 and 20:00–22:00; pick one "
            "when you confirm your basket.",
        ),
        (
            [
                "The promo code {code} doesn't work.",
                "I get an error when I enter {code}.",
                "Why won't the code {code} apply?",
            ],
            "{code} is valid on a first order above 400 TL only; if your basket is above that, "
            "send the code to live support and we'll check it.",
        ),
        (
            [
                "I was charged twice for order {order}.",
                "Order {order} shows two payments on my card.",
            ],
            "I'm sorry, {name}. A second charge for {order} is usually a pre-authorisation that "
            "drops off within 3 business days; if it stays, live support refunds it at once.",
        ),
    ],
}


def eval_examples(rng: random.Random, count: int, taken: set[str]) -> list[dict[str, object]]:
    """`count` short examples whose prompts are not in `taken` (which they are added to)."""
    out: list[dict[str, object]] = []
    while len(out) < count:
        lang = "tr" if len(out) % 3 == 0 else "en"  # a third in Turkish
        phrasings, reply = rng.choice(EVAL_INTENTS[lang])
        values = values_for(rng, lang)
        user = fill(rng.choice(phrasings), values)
        if user in taken:
            continue
        taken.add(user)
        system = SYSTEM_TR if lang == "tr" else SYSTEM_EN
        out.append(
            {
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": fill(reply, values)},
                ]
            }
        )
    return out


def main() -> None:
    rng = random.Random(SEED)
    write_lines(OUT / "support-bot" / "train.jsonl", [dumps(e) for e in examples(rng, 60)])
    write_lines(OUT / "support-bot" / "valid.jsonl", [dumps(e) for e in examples(rng, 12)])
    write_lines(OUT / "support-bot" / "broken.jsonl", broken_lines(rng))
    legacy = OUT / "legacy" / "examples.json"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(legacy_json(rng), encoding="utf-8")
    write_lines(OUT / "preference" / "dpo.jsonl", preference(rng, 15))
    write_lines(OUT / "prompts" / "metin.txt", PROMPTS_TR)
    # Its own generator, so the files above stay as they were.
    eval_rng = random.Random(SEED + 1)
    taken: set[str] = set()
    train = eval_examples(eval_rng, 300, taken)
    holdout = eval_examples(eval_rng, 60, taken)
    write_lines(OUT / "support-eval" / "train.jsonl", [dumps(e) for e in train])
    write_lines(OUT / "support-eval" / "holdout.jsonl", [dumps(e) for e in holdout])
    for path in sorted(OUT.rglob("*.*")):
        print(path.relative_to(OUT), path.stat().st_size)


if __name__ == "__main__":
    main()
