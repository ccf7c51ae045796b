"""Encryption of personal data at rest, with a keyed hash for exact look-ups.

Fernet gives authenticated encryption; HMAC-SHA256 with a separate derived key gives a
deterministic look-up value, so "find by phone" and duplicate checks never decrypt.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings


def _master() -> bytes:
    return (settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY).encode()


@lru_cache(maxsize=4)
def _fernet(master: bytes) -> Fernet:
    key = hashlib.sha256(b"tongxin-field-encryption:" + master).digest()
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=4)
def _hash_key(master: bytes) -> bytes:
    return hashlib.sha256(b"tongxin-lookup-hash:" + master).digest()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(_master()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    return _fernet(_master()).decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    if not value:
        return ""
    return hmac.new(_hash_key(_master()), value.encode(), hashlib.sha256).hexdigest()
