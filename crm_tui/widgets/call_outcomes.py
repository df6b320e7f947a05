"""How a call can end: the keys the agent presses and the outcomes' names in their language."""

OUTCOME_KEYS = {"1": "resolved", "2": "ordered", "3": "no_answer", "4": "busy", "5": "voicemail",
                "6": "wrong_number", "7": "call_later", "8": "declined"}
REACHED = ("resolved", "ordered")  # the customer was reached: ask for satisfaction and feedback


def outcome_labels(tr) -> dict[str, str]:
    return {"resolved": tr("resolved"), "ordered": tr("order placed"), "no_answer": tr("no answer"),
            "busy": tr("busy"), "voicemail": tr("voicemail"), "wrong_number": tr("wrong number"),
            "call_later": tr("call back later"), "declined": tr("declined"), "unreachable": tr("unreachable")}
