"""STARTTLS, SMTPS and AUTH against a real TLS-speaking SMTP server process with certificates made
here: a private CA is trusted only through PAPERWIRE_SMTP_CA_FILE, any other certificate is refused,
and a refused login names the server and the user, never the password."""

from __future__ import annotations

import logging
import traceback
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperwire.config import load_settings
from paperwire.errors import ConfigError, MailServerError
from paperwire.mail.message import build_message
from paperwire.mail.sender import SmtpSender, get_sender
from tests.mail.certs import PrivateCA, ServerCert, self_signed
from tests.mail.smtp_sink import SmtpSink, smtp_sink

USER = "mailer@papers.example.org"
PASSWORD = "correct horse:battery/staple"


def _message(to: str = "reader@example.org") -> EmailMessage:
    return build_message(
        sender="Lab <digests@papers.example.org>",
        to=to,
        subject="Hello",
        text="hello",
        html="<p>hello</p>",
        list_id="Lab digest <digest.papers.example.org>",
        unsubscribe_url="https://papers.example.org/subscribe/unsubscribe/t",
    )


def _sender(tmp_path: Path, url: str, ca: PrivateCA | None) -> SmtpSender:
    environ = {"PAPERWIRE_HOME": str(tmp_path / "home"), "PAPERWIRE_SMTP_URL": url}
    if ca is not None:
        environ["PAPERWIRE_SMTP_CA_FILE"] = str(ca.pem)
    sender = get_sender(load_settings(environ))
    assert isinstance(sender, SmtpSender)
    return sender


def _send_one(tmp_path: Path, url: str, ca: PrivateCA | None) -> None:
    with _sender(tmp_path, url, ca) as sender:
        sender.send(_message())


def _tls_sink(tmp_path: Path, mode: str, cert: ServerCert):  # type: ignore[no-untyped-def]
    return smtp_sink(
        tmp_path / f"mailbox-{mode}",
        tls=mode,
        cert=str(cert.cert),
        key=str(cert.key),
        users={USER: PASSWORD},
    )


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_and_login_deliver_to_a_server_signed_by_the_configured_ca(
    tmp_path: Path, mode: str
) -> None:
    ca = PrivateCA(tmp_path / "ca")
    with _tls_sink(tmp_path, mode, ca.issue("server")) as smtp:
        with _sender(tmp_path, smtp.url_with_login(USER, PASSWORD), ca) as sender:
            sender.send(_message())
            sender.send(_message("second@example.org"))
        assert [str(m["To"]) for m in smtp.messages()] == [
            "reader@example.org",
            "second@example.org",
        ]
        assert smtp.sessions() == [{"tls": True, "login": USER}] * 2


def _refused(tmp_path: Path, smtp: SmtpSink, ca: PrivateCA | None) -> MailServerError:
    with pytest.raises(MailServerError) as refused:
        _send_one(tmp_path, smtp.url_with_login(USER, PASSWORD), ca)
    assert smtp.count() == 0
    assert f"127.0.0.1:{smtp.port}" in str(refused.value)
    assert PASSWORD not in str(refused.value)
    return refused.value


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_a_certificate_no_trusted_ca_signed_is_refused(tmp_path: Path, mode: str) -> None:
    ca = PrivateCA(tmp_path / "ca")
    with _tls_sink(tmp_path, mode, self_signed(tmp_path / "rogue")) as smtp:
        # Not by the system's CAs (the default) ...
        error = _refused(tmp_path, smtp, None)
        assert "TLS certificate refused" in str(error)
        assert "PAPERWIRE_SMTP_CA_FILE" in str(error)
        assert not error.temporary
        # ... nor by the configured private CA.
        assert "TLS certificate refused" in str(_refused(tmp_path, smtp, ca))


def test_a_private_ca_certificate_is_refused_unless_configured(tmp_path: Path) -> None:
    ca = PrivateCA(tmp_path / "ca")
    with _tls_sink(tmp_path, "starttls", ca.issue("server")) as smtp:
        assert "unable to get local issuer certificate" in str(_refused(tmp_path, smtp, None))


def test_a_certificate_for_another_host_is_refused(tmp_path: Path) -> None:
    ca = PrivateCA(tmp_path / "ca")
    with _tls_sink(tmp_path, "smtps", ca.issue("other", ("mail.example.org",))) as smtp:
        assert "mismatch" in str(_refused(tmp_path, smtp, ca))


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_a_wrong_password_names_the_server_and_user_never_the_password(
    tmp_path: Path, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    ca = PrivateCA(tmp_path / "ca")
    caplog.set_level(logging.DEBUG)
    with _tls_sink(tmp_path, mode, ca.issue("server")) as smtp:
        with pytest.raises(MailServerError) as refused:
            _send_one(tmp_path, smtp.url_with_login(USER, "wrong " + PASSWORD), ca)
        assert smtp.count() == 0
    error = refused.value
    assert str(error).startswith(f"mail server {smtp.url} refused the login of user '{USER}': 535")
    assert not error.temporary
    # Neither the message, its traceback nor any log line carries the password.
    assert PASSWORD not in "".join(traceback.format_exception(error))
    assert PASSWORD not in caplog.text


def test_no_login_where_one_is_required_is_the_servers_refusal_not_a_bounce(
    tmp_path: Path,
) -> None:
    ca = PrivateCA(tmp_path / "ca")
    with (
        _tls_sink(tmp_path, "starttls", ca.issue("server")) as smtp,
        pytest.raises(MailServerError) as refused,
    ):
        _send_one(tmp_path, smtp.url, ca)
    assert f"mail server {smtp.url} refused the sender" in str(refused.value)
    assert refused.value.code == 530


def test_login_over_plain_smtp_to_a_server_that_allows_it_only_over_tls(tmp_path: Path) -> None:
    with (
        smtp_sink(tmp_path / "mailbox", users={USER: PASSWORD}) as smtp,
        pytest.raises(MailServerError) as refused,
    ):
        _send_one(tmp_path, smtp.url_with_login(USER, PASSWORD), None)
    assert f"mail server {smtp.url}" in str(refused.value) and "AUTH" in str(refused.value)


def test_settings_errors_name_the_setting_and_hide_the_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as bad_url:
        SmtpSender(f"http://{USER}:hunter22@mail.example.org")
    assert "PAPERWIRE_SMTP_URL" in str(bad_url.value) and "hunter22" not in str(bad_url.value)
    with pytest.raises(ConfigError) as bad_ca:
        SmtpSender("smtps://mail.example.org", ca_file=str(tmp_path / "missing.pem"))
    assert "PAPERWIRE_SMTP_CA_FILE" in str(bad_ca.value) and "missing.pem" in str(bad_ca.value)
