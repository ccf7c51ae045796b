"""Encryption at rest round-trips; the look-up hash is deterministic, keyed and not the value."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tongxin.core import crypto


@given(st.text(min_size=1, max_size=80))
@settings(max_examples=50)
def test_round_trip(value):
    token = crypto.encrypt(value)
    assert token != value
    assert crypto.decrypt(token) == value


def test_encryption_is_randomised_but_the_hash_is_stable():
    a, b = crypto.encrypt("13800000001"), crypto.encrypt("13800000001")
    assert a != b
    assert crypto.lookup_hash("13800000001") == crypto.lookup_hash("13800000001")
    assert crypto.lookup_hash("13800000001") != crypto.lookup_hash("13800000002")
    assert len(crypto.lookup_hash("13800000001")) == 64 and "13800000001" not in crypto.lookup_hash("13800000001")


def test_empty_values_stay_empty():
    assert crypto.encrypt("") == "" and crypto.decrypt("") == "" and crypto.lookup_hash("") == ""


def test_the_hash_depends_on_the_key(settings):
    before = crypto.lookup_hash("13800000001")
    settings.FIELD_ENCRYPTION_KEY = "another-key-for-this-test"
    assert crypto.lookup_hash("13800000001") != before
    token = crypto.encrypt("秘密")
    assert crypto.decrypt(token) == "秘密"
