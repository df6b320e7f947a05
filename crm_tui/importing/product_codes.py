"""Which codes in an export are not merchandise: postage, fees, adjustments, discounts, vouchers.

They are imported with their kind and never become anybody's favourite product.
"""

import re

from crm_tui.shop.models import ProductKind

_BY_CODE = {
    "POST": ProductKind.POSTAGE, "DOT": ProductKind.POSTAGE, "C2": ProductKind.POSTAGE,
    "POSTAGE": ProductKind.POSTAGE, "CARRIAGE": ProductKind.POSTAGE, "SHIPPING": ProductKind.POSTAGE,
    "M": ProductKind.ADJUSTMENT, "B": ProductKind.ADJUSTMENT, "S": ProductKind.ADJUSTMENT,
    "ADJUST": ProductKind.ADJUSTMENT, "ADJUST2": ProductKind.ADJUSTMENT,
    "BANK CHARGES": ProductKind.FEE, "BANKFEE": ProductKind.FEE, "AMAZONFEE": ProductKind.FEE,
    "CRUK": ProductKind.FEE, "FEE": ProductKind.FEE,
    "D": ProductKind.DISCOUNT, "DISC": ProductKind.DISCOUNT, "DISCOUNT": ProductKind.DISCOUNT,
    "GIFTV": ProductKind.VOUCHER, "VOUCHER": ProductKind.VOUCHER,
}
_BY_PATTERN = [
    (re.compile(r"^gift_\d+_\d+$", re.I), ProductKind.VOUCHER),
]
_BY_DESCRIPTION = [
    (re.compile(r"^(postage|carriage|dotcom postage|shipping)$", re.I), ProductKind.POSTAGE),
    (re.compile(r"^(manual|adjust bad debt|samples|adjustment)$", re.I), ProductKind.ADJUSTMENT),
    (re.compile(r"^(bank charges|amazon fee|cruk commission|.*\bfee)$", re.I), ProductKind.FEE),
    (re.compile(r"^discount$", re.I), ProductKind.DISCOUNT),
    (re.compile(r"gift voucher", re.I), ProductKind.VOUCHER),
]


def product_kind(code: str, description: str = "") -> ProductKind:
    kind = _BY_CODE.get(code.strip().upper())
    if kind is not None:
        return kind
    for pattern, kind in _BY_PATTERN:
        if pattern.match(code.strip()):
            return kind
    for pattern, kind in _BY_DESCRIPTION:
        if pattern.match(description.strip()):
            return kind
    return ProductKind.PRODUCT
