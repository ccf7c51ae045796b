"""Phone numbers and GB 11643 ID numbers, with property tests over generated numbers."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongxin.core.errors import DomainError
from tongxin.core.validators import (
    birth_date_from_id,
    id_check_digit,
    mask_address,
    mask_id_number,
    mask_phone,
    normalize_phone,
    sex_from_id,
    validate_id_number,
    validate_phone,
)

regions = st.integers(110000, 659999).map(str)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today())
sequences = st.integers(0, 999).map(lambda n: f"{n:03d}")


@st.composite
def id_numbers(draw):
    first17 = f"{draw(regions)}{draw(births):%Y%m%d}{draw(sequences)}"
    return first17 + id_check_digit(first17)


def test_known_id_numbers():
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert validate_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert id_check_digit("11010519491231002") == "X"
    assert birth_date_from_id("11010519491231002X") == dt.date(1949, 12, 31)
    assert sex_from_id("11010519491231002X") == "F"


@given(id_numbers())
def test_every_generated_valid_id_number_passes(number):
    assert validate_id_number(number) == number
    assert validate_id_number(number.lower()) == number


@given(id_numbers(), st.sampled_from("0123456789X"))
def test_any_other_check_digit_fails(number, digit):
    if digit == number[17]:
        return
    with pytest.raises(DomainError) as exc:
        validate_id_number(number[:17] + digit)
    assert exc.value.field == "id_number"
    assert "校验位不正确" in exc.value.message


@given(id_numbers(), st.integers(0, 16), st.integers(1, 9))
def test_a_single_changed_digit_is_caught(number, pos, delta):
    """GB 11643's weights make every single-digit error change the check digit (or the date)."""
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    with pytest.raises(DomainError):
        validate_id_number(changed)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1234567890123456", "应为 18 位"),
        ("11010519491231002Y", "应为 18 位"),
        ("110105194913310025", "出生日期无效"),
        ("110105189912310020", "不在合理范围内"),
        (f"110105{dt.date.today().year + 1}0101001", "不在合理范围内"),
    ],
)
def test_bad_id_numbers_are_explained_in_chinese(value, text):
    if len(value) == 17:
        value += id_check_digit(value)
    with pytest.raises(DomainError) as exc:
        validate_id_number(value)
    assert text in exc.value.message


@pytest.mark.parametrize(
    ("raw", "phone"),
    [("13800000001", "13800000001"), ("138 0000 0001", "13800000001"), ("138-0000-0001", "13800000001"),
     ("+8613800000001", "13800000001"), ("008619912345678", "19912345678")],
)
def test_phone_formats_are_normalised(raw, phone):
    assert normalize_phone(raw) == phone
    assert validate_phone(raw) == phone


@pytest.mark.parametrize("raw", ["", "1380000000", "138000000012", "12800000001", "23800000001", "0351-1234567", "1380000000a"])
def test_bad_phones_are_refused_naming_the_field(raw):
    with pytest.raises(DomainError) as exc:
        validate_phone(raw, field="mobile")
    assert exc.value.field == "mobile"
    assert "11 位大陆手机号" in exc.value.message


@given(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))
def test_every_mainland_mobile_passes(second, rest):
    assert validate_phone(f"1{second}{rest}") == f"1{second}{rest}"


def test_masks():
    assert mask_phone("13800000001") == "138****0001"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_address("太原市迎泽区柳巷南路88号") == "太原市迎泽区****"
    assert mask_address("柳巷") == "****"
