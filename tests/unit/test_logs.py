import json
import logging

from bot.logs import RedactSecrets

TOKEN = "123456789:AAH-abcdefghijklmnopqrstuvwxyz012345"


def redact(message: str, *args: object) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    RedactSecrets(TOKEN).filter(record)
    return record.getMessage()


def test_tokens_are_redacted_wherever_they_appear():
    assert TOKEN not in redact("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    assert "123456789:AAH" not in redact("error for bot123456789:AAH-other-token-of-some-length/getMe")


def test_codes_are_redacted_in_every_form_they_are_accepted_in():
    for code in ["FJXG-TMVH-X6QP", "fjxg tmvh x6qp", "FJXGTMVHX6QP", "7kqf-9xmp-3wtr"]:
        assert code not in redact("{'text': 'Secret code:\\n\\n%s\\n\\nWith it'}", code), code


def test_codes_are_redacted_in_the_new_forms_and_behind_escaped_separators():
    for code in [
        "7KQF-9XMP 3WTR",
        "7KQF  9XMP  3WTR",
        "7-K-Q-F-9-X-M-P-3-W-T-R",
        "7KQF\u00a09XMP\u00a03WTR",
        "KOQF\u20139XMP\u20133WIR",
    ]:
        for logged in (code, repr(code), json.dumps({"text": code})):
            assert "9XMP" not in redact("payload %s", logged), logged


def test_claim_payloads_are_redacted_and_ordinary_text_is_kept():
    assert "c_AbCdEfGhIjKlMnOpQrStUvWx" not in redact("text=/start c_AbCdEfGhIjKlMnOpQrStUvWx")
    assert redact("update=5 command=/newevent outcome=ok") == "update=5 command=/newevent outcome=ok"
    assert "Housewarming" in redact("title Housewarming party")
