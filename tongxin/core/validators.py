"""Validation of mainland phone numbers and resident ID numbers (GB 11643-1999)."""

import datetime as dt
import re

from .errors import DomainError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def validate_phone(value: str, *, field: str = "phone") -> str:
    phone = normalize_phone(value)
    if not MOBILE_RE.match(phone):
        raise DomainError(f"手机号码“{value}”格式不正确，应为 11 位大陆手机号（1 开头）", field=field)
    return phone


def id_check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str, *, field: str = "id_number") -> str:
    number = (value or "").strip().upper()
    if not ID_RE.match(number):
        raise DomainError("身份证号应为 18 位：前 17 位数字，最后一位数字或 X", field=field)
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise DomainError(f"身份证号“{mask_id_number(number)}”中的出生日期无效", field=field) from None
    if born > dt.date.today() or born.year < 1900:
        raise DomainError("身份证号中的出生日期不在合理范围内", field=field)
    if id_check_digit(number[:17]) != number[17]:
        raise DomainError("身份证号校验位不正确，请核对后重新输入", field=field)
    return number


def birth_date_from_id(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_from_id(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_id_number(number: str) -> str:
    return f"{number[:4]}**********{number[-4:]}" if len(number) >= 8 else "****"


def mask_address(address: str) -> str:
    # Keep the area, hide the door: the first few characters are enough to route.
    return address[:6] + "****" if len(address) > 6 else "****"
