"""Hand the number to the agent's softphone: the configured dial command, run without a shell.

The command is a template, split like a shell would (quotes work) and filled per argument:
{number} is the E.164 number (+34612345678), {digits} the same without "+", {national} the
national form as dialled inside the country. The softphone runs detached: the console does not
wait for the call."""

import shlex
import subprocess
from dataclasses import dataclass

from crm_tui.shop.validation import national_phone


@dataclass(frozen=True)
class Dialled:
    command: list[str]
    error: str = ""  # empty when the command started


def dial_arguments(template: str, e164: str) -> list[str]:
    fields = {"number": e164, "digits": e164.lstrip("+"), "national": national_phone(e164).replace(" ", "")}
    return [part.format(**fields) for part in shlex.split(template)]


def dial(template: str, e164: str) -> Dialled:
    try:
        command = dial_arguments(template, e164)
    except (ValueError, KeyError, IndexError) as exc:
        return Dialled([], f"the dial command {template!r} is not valid: {exc}")
    if not command:
        return Dialled([], "no dial command is configured (CRM_TUI_DIAL)")
    try:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError as exc:
        return Dialled(command, f"{command[0]} could not be started: {exc.strerror or exc}")
    return Dialled(command)
