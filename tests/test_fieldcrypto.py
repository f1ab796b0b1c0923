"""Field encryption with rotating keys, and keyed blind indexes."""

import pytest
from cryptography.fernet import Fernet

from careloop.fieldcrypto import PREFIX, FieldCipher

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
INDEX_KEY = "i" * 40
OTHER_INDEX_KEY = "j" * 40


@pytest.mark.parametrize("plaintext", ["11010519491231002X", "13812345678", "张三", "JBSWY3DPEHPK3PXP", " "])
def test_encrypt_decrypt_roundtrip(plaintext):
    cipher = FieldCipher([KEY_A], INDEX_KEY)
    stored = cipher.encrypt(plaintext)
    assert stored.startswith(PREFIX)
    assert plaintext not in stored
    assert cipher.decrypt(stored) == plaintext


def test_empty_value_stays_empty():
    cipher = FieldCipher([KEY_A], INDEX_KEY)
    assert cipher.encrypt("") == ""
    assert cipher.decrypt("") == ""
    assert cipher.blind_index("") == ""
    assert cipher.needs_rotation("") is False


def test_ciphertext_differs_each_time():
    cipher = FieldCipher([KEY_A], INDEX_KEY)
    assert len({cipher.encrypt("13812345678") for _ in range(5)}) == 5


def test_blind_index_is_deterministic_and_depends_on_the_index_key():
    one = FieldCipher([KEY_A], INDEX_KEY)
    same_index_other_field_key = FieldCipher([KEY_B], INDEX_KEY)
    other = FieldCipher([KEY_A], OTHER_INDEX_KEY)
    index = one.blind_index("13812345678")
    assert index == one.blind_index("13812345678")
    assert index == same_index_other_field_key.blind_index("13812345678")  # field-key rotation keeps indexes
    assert index != other.blind_index("13812345678")
    assert index != one.blind_index("13812345679")
    assert "13812345678" not in index and len(index) == 40


def test_old_key_still_decrypts_after_a_new_key_is_prepended():
    stored = FieldCipher([KEY_A], INDEX_KEY).encrypt("11010519491231002X")
    assert FieldCipher([KEY_B, KEY_A], INDEX_KEY).decrypt(stored) == "11010519491231002X"


@pytest.mark.parametrize(
    ("written_with", "keys", "needs"),
    [
        ([KEY_A], [KEY_A], False),
        ([KEY_A], [KEY_B, KEY_A], True),
        ([KEY_B, KEY_A], [KEY_B, KEY_A], False),
        ([KEY_B], [KEY_A, KEY_B], True),
    ],
)
def test_needs_rotation_when_not_under_the_primary_key(written_with, keys, needs):
    stored = FieldCipher(written_with, INDEX_KEY).encrypt("13812345678")
    assert FieldCipher(keys, INDEX_KEY).needs_rotation(stored) is needs


def test_rotate_moves_a_value_to_the_primary_key():
    stored = FieldCipher([KEY_A], INDEX_KEY).encrypt("13812345678")
    rotated = FieldCipher([KEY_B, KEY_A], INDEX_KEY).rotate(stored)
    assert rotated.startswith(PREFIX) and rotated != stored
    assert FieldCipher([KEY_B], INDEX_KEY).decrypt(rotated) == "13812345678"
    assert FieldCipher([KEY_B, KEY_A], INDEX_KEY).needs_rotation(rotated) is False


@pytest.mark.parametrize(
    "stored",
    [
        FieldCipher([KEY_A], INDEX_KEY).encrypt("13812345678"),  # written with a key that is not configured
        "13812345678",  # never encrypted
        PREFIX + "not-a-token",
    ],
)
def test_value_no_configured_key_decrypts_raises_value_error(stored):
    cipher = FieldCipher([KEY_B], INDEX_KEY)
    with pytest.raises(ValueError):
        cipher.decrypt(stored)
    with pytest.raises(ValueError):
        cipher.rotate(stored)
    assert cipher.needs_rotation(stored) is True


def test_at_least_one_field_key_is_required():
    with pytest.raises(ValueError):
        FieldCipher([], INDEX_KEY)
