"""Who may do what: the one table every screen, command and service asks.

A role that is not listed for an action may not do it. Screens ask `may` to decide what to
show; services and commands call `require`, which refuses with NotAllowed."""

from enum import StrEnum

from crm_tui.models import Role
from crm_tui.services.errors import ServiceError
from crm_tui.services.staff import StaffMember

STAFF = frozenset(Role)
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.OPS})


class Action(StrEnum):
    WORK_QUEUE = "work the callback queue"
    SUPERVISE_QUEUE = "supervise the callback queue"
    RELEASE_CALLBACK = "release or reassign a callback"
    VIEW_DASHBOARD = "open the dashboard"
    RUN_REPORTS = "run reports"
    IMPORT = "import shop data"
    RECOMPUTE_SEGMENTS = "recompute the segments"
    SEE_OFFER_ACCEPTANCE = "see how many offers were accepted"


RULES: dict[Action, frozenset[Role]] = {
    Action.WORK_QUEUE: STAFF,
    Action.SUPERVISE_QUEUE: SUPERVISORS,
    Action.RELEASE_CALLBACK: SUPERVISORS,
    Action.VIEW_DASHBOARD: SUPERVISORS,
    Action.RUN_REPORTS: SUPERVISORS,
    Action.IMPORT: SUPERVISORS,
    Action.RECOMPUTE_SEGMENTS: SUPERVISORS,
    Action.SEE_OFFER_ACCEPTANCE: SUPERVISORS,
}


class NotAllowed(ServiceError):
    def __init__(self, staff: StaffMember, action: Action):
        allowed = " and ".join(sorted(f"{role.value}s" for role in RULES[action]))
        super().__init__("not_allowed", f"{staff.login} may not {action.value}: that is not for your role "
                         f"({staff.role.value}), only for {allowed}",
                         login=staff.login, role=staff.role.value, action=action.name)
        self.action = action


def may(staff: StaffMember, action: Action) -> bool:
    return staff.active and staff.role in RULES[action]


def require(staff: StaffMember, action: Action) -> None:
    if not may(staff, action):
        raise NotAllowed(staff, action)
