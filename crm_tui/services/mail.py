"""Sending an answer by e-mail through the SMTP server the centre configured."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from crm_tui.services.errors import ServiceError
from crm_tui.settings import ServiceSettings


class MailNotSent(ServiceError):
    pass


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str


def send_mail(settings: ServiceSettings, mail: Outgoing) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailNotSent("mail_not_sent", f"the answer could not be e-mailed to {mail.to} through "
                          f"{settings.smtp_host}:{settings.smtp_port} ({exc}); nothing was recorded",
                          to=mail.to, server=f"{settings.smtp_host}:{settings.smtp_port}") from None
