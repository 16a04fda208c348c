import math
import random
import re

import bcrypt
import pytest

from bot.handlers.manage import _split_link_and_code
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


def test_secret_codes_are_grouped_for_reading_in_an_alphabet_without_look_alikes():
    code = codes.new_secret_code()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert not set("ILOU") & set(codes.CODE_ALPHABET)


def test_secret_codes_keep_about_sixty_bits_though_some_draws_are_refused():
    # A code is kept when one of its three groups mixes a letter with a digit from 2-9 and is not a
    # time or ordinal. Groups with a letter and such a digit: all, less those without a letter (10 digits
    # only), less those without a 2-9 digit (22 letters and 0, 1), plus those with neither (0 and 1 only).
    with_both = 32**4 - 10**4 - 24**4 + 2**4
    times = 6 * (100 - 2**2) + (1000 - 2**3)  # 12AM..99TH and 2H00..9H99 with a 2-9 digit in them
    kept_group = (with_both - times) / 32**4
    kept_code = 1 - (1 - kept_group) ** 3
    assert 59.9 < codes.CODE_LENGTH * math.log2(32) + math.log2(kept_code) < 60
    # The count above is what the generator's own test says, on a sample of groups.
    rng = random.Random(7)
    for _ in range(20_000):
        group = "".join(rng.choice(codes.CODE_ALPHABET) for _ in range(4))
        has_both = any(ch in "23456789" for ch in group) and any(ch.isalpha() for ch in group)
        time_like = re.fullmatch(r"[0-9]{2}(AM|PM|ST|ND|RD|TH)|[0-9]H[0-9]{2}", group)
        assert codes._mixes(group, "23456789") == (has_both and not time_like), group


def test_a_draw_with_no_group_mixing_letters_and_digits_is_drawn_again(monkeypatch):
    draws = iter("ABCDEFGHJKMN" + "012345678901" + "10AMBCDEFGHJ" + "K0QFABCDEFGH" + "7KQF9XMP3WTR")
    monkeypatch.setattr(codes.secrets, "choice", lambda alphabet: next(draws))
    assert codes.new_secret_code() == "7KQF-9XMP-3WTR"


def test_every_new_code_is_recognised_however_it_is_typed():
    for _ in range(300):
        code = codes.new_secret_code()
        compact = code.replace("-", "")
        look_alikes = code.replace("0", "O").replace("1", random.choice("IiLl"))
        for typed in (
            code,
            code.lower(),
            code.replace("-", " "),
            compact.lower(),
            look_alikes,
            " ".join(compact),
        ):
            assert codes.normalise_code(typed) == compact, typed
            assert codes.find_secret_code(f"my code is {typed}, thanks") == compact, typed


def test_codes_are_accepted_in_any_case_with_or_without_dashes_or_spaces():
    assert codes.normalise_code("7kqf-9xmp-3wtr") == "7KQF9XMP3WTR"
    assert codes.normalise_code("7KQF 9XMP 3WTR") == "7KQF9XMP3WTR"
    assert codes.normalise_code(" 7kqf9xmp3wtr ") == "7KQF9XMP3WTR"


def test_look_alike_letters_are_read_as_the_digits_they_resemble():
    assert codes.normalise_code("7KQO-9XMP-3WTI") == "7KQ09XMP3WT1"
    assert codes.normalise_code("k0qf 9xmp 3wlr") == "K0QF9XMP3W1R"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "7KQF-9XMP",
        "7KQF-9XMP-3WTR-AAAA",
        "7KQF-9XMP-3WT!",
        "7KQF-9XMP-3WTU",
        "7KQF9XMP 3WTR",
        "7KQ F9X MP3 WTR",
        "7KQF\n9XMP\n3WTR",
        "my code 7KQF-9XMP-3WTR",
    ],
)
def test_malformed_codes_normalise_to_nothing(text):
    assert codes.normalise_code(text) is None


def test_a_code_made_before_every_code_mixed_letters_and_digits_still_works_as_handed_out():
    assert codes.normalise_code("ABCD-EFGH-JKMN") == "ABCDEFGHJKMN"
    assert codes.normalise_code("ABCDEFGHJKMN") == "ABCDEFGHJKMN"
    assert codes.find_secret_code("it is ABCD-EFGH-JKMN") == "ABCDEFGHJKMN"


@pytest.mark.parametrize(
    "text",
    ["/editevent Ab3dE5gH9k 7KQF-9XMP-3WTR", "my code 7kqf 9xmp 3wtr", "7kqf9xmp3wtr", "code:ABCD-EFGH-JKMN"],
)
def test_a_code_is_found_inside_a_message(text):
    assert codes.find_secret_code(text) is not None


# Every form a code is accepted in, in a private chat; each must be caught in any message.
TYPED_CODES = {
    "7KQF-9XMP-3WTR": "7KQF9XMP3WTR",
    "7kqf-9xmp-3wtr": "7KQF9XMP3WTR",
    "7Kqf-9xMP-3wtR": "7KQF9XMP3WTR",
    "7KQF 9XMP 3WTR": "7KQF9XMP3WTR",
    "7KQF9XMP3WTR": "7KQF9XMP3WTR",
    "7kqf9xmp3wtr": "7KQF9XMP3WTR",
    "7KQF\u00a09XMP\u00a03WTR": "7KQF9XMP3WTR",  # no-break space
    "7KQF\u202f9XMP\u202f3WTR": "7KQF9XMP3WTR",  # narrow no-break space
    "7KQF\u20099XMP\u20093WTR": "7KQF9XMP3WTR",  # thin space
    "7KQF\u30009XMP\u30003WTR": "7KQF9XMP3WTR",  # ideographic space
    "7KQF  9XMP  3WTR": "7KQF9XMP3WTR",
    "7KQF\t9XMP\t3WTR": "7KQF9XMP3WTR",
    "7KQF-9XMP 3WTR": "7KQF9XMP3WTR",
    "7KQF - 9XMP - 3WTR": "7KQF9XMP3WTR",
    "7KQF\u20139XMP\u20133WTR": "7KQF9XMP3WTR",  # en dash
    "7KQF\u20149XMP\u20143WTR": "7KQF9XMP3WTR",  # em dash
    "7KQF\u20119XMP\u20113WTR": "7KQF9XMP3WTR",  # non-breaking hyphen
    "7KQF\u22129XMP\u22123WTR": "7KQF9XMP3WTR",  # minus sign
    "7KQF\u200b9XMP\u200b3WTR": "7KQF9XMP3WTR",  # zero-width space
    "7KQF\u00ad9XMP\u00ad3WTR": "7KQF9XMP3WTR",  # soft hyphen
    "7-K-Q-F-9-X-M-P-3-W-T-R": "7KQF9XMP3WTR",
    "7 k q f 9 x m p 3 w t r": "7KQF9XMP3WTR",
    "K0QF-9XMP-3W1R": "K0QF9XMP3W1R",
    "KOQF-9XMP-3WIR": "K0QF9XMP3W1R",
    "koqf 9xmp 3wlr": "K0QF9XMP3W1R",
    "ABCD-EFGH-JKMN": "ABCDEFGHJKMN",  # made before codes had to mix letters and digits
}
AROUND = [
    "{}",
    "my code is {}, thanks",
    "code:{}",
    "code {}",
    "{} please",
    "({})",
    "\u00ab{}\u00bb",
    "'{}'.",
    "\n{}\n",
    "\U0001f511 {}",
    "/editevent Ab3dE5gH9k {} title Hijacked",
    "Pizza night | {} | Mario's",
]


@pytest.mark.parametrize("typed", TYPED_CODES)
def test_every_form_a_private_chat_accepts_is_found_in_any_message(typed):
    assert codes.normalise_code(typed) == TYPED_CODES[typed]
    for around in AROUND:
        text = around.format(typed)
        assert codes.find_secret_code(text) == TYPED_CODES[typed], text


# Group messages that hold no code and must pass untouched.
NOT_CODES = [
    # phone numbers
    "Call me: 0176 1234 5678",
    "Call 0176 1234 5678",
    "0176-1234-5678",
    "017612345678",
    "+49 (0)176 1234 5678",
    "+1 (415) 555-2671",
    "415-555-2671 ext 12",
    "+44 20 7946 0958",
    "07700 900123",
    "+33 6 12 34 56 78",
    "+39 347 123 4567",
    "+34 612 34 56 78",
    "+31 6 1234 5678",
    "+91 98765 43210",
    "+55 11 91234-5678",
    "+81 90-1234-5678",
    "+61 412 345 678",
    "+86 138 0013 8000",
    "+7 912 345-67-89",
    # IBANs
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "GB29 NWBK 6016 1331 9268 19",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
    "ES91 2100 0418 4502 0005 1332",
    "IT60 X054 2811 1010 0000 0123 456",
    "CH93 0076 2011 6238 5295 7",
    "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
    "BE68 5390 0754 7034",
    "Send it to DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX",
    # order numbers
    "Amazon order 302-1234567-8912345",
    "eBay order 23-08754-36921",
    "Order #1042 has shipped",
    "Bestellnummer 10101234567890",
    "Order #AB12CD34EF56",
    # tracking numbers
    "UPS 1Z999AA10123456784",
    "USPS 9400 1000 0000 0000 0000 00",
    "FedEx 7489 1234 5678",
    "DHL JJD000390007123456789",
    "Royal Mail AB123456789GB",
    "DPD 0150 5234 5678 90",
    "China Post RR123456785CN",
    # dates and times
    "/newevent 2031-12-05 10:00 | Team sync with Bob",
    "05.12.2026 19:30",
    "12/05/2026 7:30 PM",
    "2025-12-05T19:30:00+01:00",
    "Open from 10am till 11pm",
    "Meet 10am next week",
    "from 1930 till 2200",
    "Doors 19h30, show 20h45",
    "Rdv 7h30 demain",
    "Sat 21st June 2025",
    # prices
    "\u20ac1.299,00 per person",
    "$1,234.56 in total",
    "1 234 567 \u20bd",
    "CHF 12.50 each, 3 for 30.00",
    "Tickets 25 EUR, 2025 edition",
    # ordinary sentences, mentions, links and identifiers
    "/newevent Fri 19:30 | Pizza night | Mario's, call 0176 1234 5678",
    "/newevent Fri 19:30 | Celebrations | Mario's",
    "Beer fest next week",
    "Housewarming party",
    "Team 2025 plan is ready",
    "Sale ends 2025",
    "Be there at 5pm sharp",
    "see Ab3dE5gH9k",
    "mail me at mike2000abcd@gmail.com",
    "ask @mike2000abcd",
    "#Party4Friday",
    "https://example.com/files/AB12CD34EF56.pdf",
    "550e8400-e29b-41d4-a716-446655440000",
    "Licence key ABCD-1234-EFGH-5678",
    "Room B2.14, building 7",
    "hello",
]


def test_the_corpus_of_ordinary_messages_is_large_enough():
    assert len(NOT_CODES) >= 40


@pytest.mark.parametrize("text", NOT_CODES)
def test_ordinary_messages_are_not_taken_for_codes(text):
    assert codes.find_secret_code(text) is None


@pytest.mark.parametrize(
    ("args", "code", "rest"),
    [
        ("Ab3dE5gH9k 7KQF-9XMP-3WTR title New", "7KQF9XMP3WTR", "title New"),
        ("Ab3dE5gH9k 7kqf 9xmp\u00a03wtr title New", "7KQF9XMP3WTR", "title New"),
        ("Ab3dE5gH9k  7-K-Q-F-9-X-M-P-3-W-T-R", "7KQF9XMP3WTR", ""),
        ("Ab3dE5gH9k title New", None, "title New"),
        ("Ab3dE5gH9k abc 7KQF9XMP3WTRzz def title New", None, "abc 7KQF9XMP3WTRzz def title New"),
    ],
)
def test_a_command_takes_a_code_only_right_after_the_link(args, code, rest):
    assert _split_link_and_code(args) == ("Ab3dE5gH9k", code, rest)


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
