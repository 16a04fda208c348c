import math
import re

import bcrypt
import pytest

from core import codes


def test_link_ids_are_ten_letters_or_digits_and_differ():
    links = {codes.new_link_id() for _ in range(1000)}
    assert len(links) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9]{10}", link) for link in links)


def test_link_ids_carry_enough_randomness_to_resist_enumeration():
    assert codes.LINK_LENGTH * math.log2(len(codes.LINK_ALPHABET)) > 59


@pytest.mark.parametrize("text", ["", "abc", "abcdefghij1", "abcd-efghi", "../../etc/x", "abcdefghi\x00"])
def test_malformed_link_ids_are_recognised(text):
    assert not codes.is_link_id(text)


def test_secret_codes_have_at_least_sixty_bits_and_are_grouped_for_reading():
    code = codes.new_secret_code()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert codes.CODE_LENGTH * math.log2(len(codes.CODE_ALPHABET)) >= 60
    assert not set("ILOU") & set(codes.CODE_ALPHABET)


def test_codes_are_accepted_in_any_case_with_or_without_dashes_or_spaces():
    assert codes.normalise_code("7kqf-9xmp-3wtr") == "7KQF9XMP3WTR"
    assert codes.normalise_code("7KQF 9XMP 3WTR") == "7KQF9XMP3WTR"
    assert codes.normalise_code(" 7kqf9xmp3wtr ") == "7KQF9XMP3WTR"


def test_look_alike_letters_are_read_as_the_digits_they_resemble():
    assert codes.normalise_code("ABCO-ABCI-ABCL") == "ABC0ABC1ABC1"


@pytest.mark.parametrize("text", ["", "7KQF-9XMP", "7KQF-9XMP-3WTR-AAAA", "7KQF-9XMP-3WT!", "7KQF-9XMP-3WTU"])
def test_malformed_codes_normalise_to_nothing(text):
    assert codes.normalise_code(text) is None


@pytest.mark.parametrize(
    "text",
    ["/editevent Ab3dE5gH9k 7KQF-9XMP-3WTR", "my code 7kqf 9xmp 3wtr", "7kqf9xmp3wtr", "code:ABCD-EFGH-JKMN"],
)
def test_a_code_is_found_inside_a_message(text):
    assert codes.find_secret_code(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "/newevent Fri 19:30 | Celebrations | Mario's",
        "/newevent 2031-12-05 10:00 | Team sync with Bob",
        "Beer fest next week",
        "Housewarming party",
        "see Ab3dE5gH9k",
        "hello",
    ],
)
def test_ordinary_words_are_not_taken_for_codes(text):
    assert codes.find_secret_code(text) is None


async def test_a_hashed_code_checks_in_any_typed_form_and_rejects_others():
    code = codes.new_secret_code()
    stored = await codes.hash_code(codes.normalise_code(code) or "", rounds=4)
    assert code not in stored
    assert bcrypt.checkpw(codes.normalise_code(code).encode(), stored.encode())  # type: ignore[union-attr]
    assert await codes.check_code(code.lower().replace("-", " "), stored)
    assert not await codes.check_code(codes.new_secret_code(), stored)
    assert not await codes.check_code("nonsense", stored)


async def test_hashing_uses_the_configured_cost():
    stored = await codes.hash_code("7KQF9XMP3WTR", rounds=5)
    assert stored.startswith("$2b$05$")


async def test_hashing_and_checking_run_in_the_bcrypt_pool_not_on_the_event_loop(monkeypatch):
    import threading

    threads = []
    real_hash, real_check = codes._hash_sync, codes._check_sync

    def spy_hash(code, rounds):
        threads.append(threading.current_thread().name)
        return real_hash(code, rounds)

    def spy_check(code, stored):
        threads.append(threading.current_thread().name)
        return real_check(code, stored)

    monkeypatch.setattr(codes, "_hash_sync", spy_hash)
    monkeypatch.setattr(codes, "_check_sync", spy_check)
    stored = await codes.hash_code("7KQF9XMP3WTR", rounds=4)
    assert await codes.check_code("7KQF-9XMP-3WTR", stored)
    assert len(threads) == 2
    assert all(name.startswith("bcrypt") for name in threads)
    assert threading.current_thread().name not in threads
