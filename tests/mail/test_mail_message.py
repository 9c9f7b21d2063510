"""Message building and sending: address checks, headers, multipart, SMTP answers, the console."""

from __future__ import annotations

import email
import email.policy
import io

import pytest

from paperwire.config import load_settings
from paperwire.errors import ConfigError, InvalidEmail
from paperwire.mail.message import build_message, clean_address, wire_bytes
from paperwire.mail.sender import ConsoleSender, DeliveryError, SmtpSender, get_sender
from tests.mail.smtp_sink import SmtpSink


def _message(to: str = "reader@example.org") -> email.message.EmailMessage:
    return build_message(
        sender="Lab <digests@papers.example.org>",
        to=to,
        subject="Hello\r\nBcc: x@example.org",
        text="plain body",
        html="<p>html body</p>",
        list_id="Lab digest <digest.papers.example.org>",
        unsubscribe_url="https://papers.example.org/subscribe/unsubscribe/t",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plain",
        "a@b",
        "two@@example.org",
        "dots..here@example.org",
        "x@example.org\r\nBcc: y@example.org",
        "x@example.org\nBcc: y@example.org",
        '"quoted"@example.org',
        "a" * 65 + "@example.org",
    ],
)
def test_malformed_and_injected_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        clean_address(raw)


def test_address_is_trimmed_and_domain_lowercased() -> None:
    assert clean_address("  Ada.L+digest@Example.ORG ") == "Ada.L+digest@example.org"


def test_every_message_is_multipart_with_a_unique_id_and_unsubscribe_headers() -> None:
    first, second = _message(), _message()
    assert first["Message-ID"] != second["Message-ID"]
    parsed = email.message_from_bytes(first.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().strip() == "plain body"  # type: ignore[union-attr]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"] == "<https://papers.example.org/subscribe/unsubscribe/t>"
    # A line break in the subject cannot become a header.
    assert parsed["Bcc"] is None


def test_smtp_sender_delivers_and_reports_temporary_and_permanent_refusals(
    smtp: SmtpSink,
) -> None:
    smtp.script("soft@example.org", "451")
    smtp.script("hard@example.org", "550")
    with SmtpSender(smtp.url) as sender:
        sender.send(_message())
        with pytest.raises(DeliveryError) as soft:
            sender.send(_message("soft@example.org"))
        with pytest.raises(DeliveryError) as hard:
            sender.send(_message("hard@example.org"))
        sender.send(_message("after@example.org"))
    assert soft.value.temporary and soft.value.code == 451
    assert not hard.value.temporary and hard.value.code == 550
    assert [str(m["To"]) for m in smtp.messages()] == ["reader@example.org", "after@example.org"]


def test_an_unreachable_server_is_a_temporary_failure(smtp: SmtpSink) -> None:
    with pytest.raises(DeliveryError) as failure:
        SmtpSender("smtp://127.0.0.1:1", timeout=5).send(_message())
    assert failure.value.temporary


def test_config_picks_the_sender() -> None:
    assert isinstance(get_sender(load_settings({"PAPERWIRE_HOME": "/tmp/x"})), ConsoleSender)
    chosen = get_sender(
        load_settings({"PAPERWIRE_SMTP_URL": "smtp+starttls://u%40x:p%3Aw@mail.example.org"})
    )
    assert isinstance(chosen, SmtpSender)
    assert (chosen.port, chosen.username, chosen.password) == (587, "u@x", "p:w")
    assert get_sender(load_settings({"PAPERWIRE_SMTP_URL": "smtps://mail.example.org"})).port == 465  # type: ignore[attr-defined]
    with pytest.raises(ConfigError):
        SmtpSender("http://mail.example.org")


def test_console_sender_prints_the_message() -> None:
    out = io.StringIO()
    ConsoleSender(out).send(_message())
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out.getvalue()


def test_wire_bytes_parse_like_the_generic_generator() -> None:
    msg = build_message(
        sender="Lab “Ünï” <digests@papers.example.org>",
        to="reader@example.org",
        subject="Digest: “protein folding” " + "long " * 40,
        text="héllo\n.\n" + "line\n" * 300,
        html="<p>héllo</p>\n" * 300,
        list_id="Lab digest <digest.papers.example.org>",
        unsubscribe_url="https://papers.example.org/subscribe/unsubscribe/" + "t" * 200,
    )
    fast = wire_bytes(msg)
    assert b"\n" not in fast.replace(b"\r\n", b"")
    a = email.message_from_bytes(fast, policy=email.policy.default)
    b = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    for name in ("From", "To", "Subject", "Message-ID", "List-Id", "List-Unsubscribe"):
        assert str(a[name]).strip() == str(b[name]).strip(), name
    for kind in ("plain", "html"):
        assert a.get_body((kind,)).get_content() == b.get_body((kind,)).get_content()  # type: ignore[union-attr]
    assert "Ünï" in str(a["From"]) and a.get_body(("plain",)).get_content().startswith("héllo\n.\n")  # type: ignore[union-attr]
