"""Who may do what: the one table every screen, command and service asks.

A role that is not listed for an action may not do it. Screens ask `may` to decide what to
show; services and commands call `require`, which refuses with NotAllowed."""

from enum import StrEnum
from typing import TYPE_CHECKING

from crm_tui.models import Role
from crm_tui.services.errors import ServiceError

if TYPE_CHECKING:  # the staff service asks this policy too
    from crm_tui.services.staff import StaffMember

STAFF = frozenset(Role)
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.OPS})


class Action(StrEnum):
    OPEN_CONSOLE = "open the console"
    EDIT_CARD = "edit a customer's card"
    SET_DISCOUNT = "set a customer's discount (up to their cap)"
    PHONE_ORDER = "take a phone order"
    WORK_QUEUE = "work the callback queue"
    LIST_CALLBACKS = "list the callback queue"
    ADD_CALLBACK = "add a callback request"
    SUPERVISE_QUEUE = "supervise the callback queue"
    RELEASE_CALLBACK = "release or reassign a callback"
    VIEW_DASHBOARD = "open the dashboard"
    RUN_REPORTS = "run reports"
    MARKETING_OFFERS = "see a customer's offers"
    MARKETING_SEGMENTS = "see the marketing segments"
    MARKETING_REFRESH = "recompute the segments and offers"
    MARKETING_EXPORT = "export a campaign list"
    SEE_OFFER_ACCEPTANCE = "see how many offers were accepted"
    IMPORT = "import shop data"
    LIST_STAFF = "list the staff"
    MANAGE_STAFF = "add, disable or enable staff"
    BACKUP = "back up the database"
    PRIVACY = "export, erase or see who accessed a customer's data"
    WORK_INBOX = "work the inbox (take, answer, close messages)"
    LOG_CONTACT = "log a contact with a customer"
    WORK_CASES = "open and work complaint cases"
    REVERSE_ORDER = "cancel or return an order"
    TRACK_ORDERS = "see an order's status history"
    MOVE_ORDERS = "move orders along (paid, shipped, delivered)"
    SERVICE_QUALITY = "see the service-quality and lost-customer reports"
    RUN_SHOP = "run the web shop's server"
    RESTOCK = "restock products"
    SEE_SHOP_LOCALE = "see the shop's currency, time zone and phone region"
    SET_SHOP_LOCALE = "set the shop's currency, time zone and phone region"


# Agents work with customers and the queue; supervisors and ops also run the shop's data.
RULES: dict[Action, frozenset[Role]] = {
    Action.OPEN_CONSOLE: STAFF,
    Action.EDIT_CARD: STAFF,
    Action.SET_DISCOUNT: STAFF,
    Action.PHONE_ORDER: STAFF,
    Action.WORK_QUEUE: STAFF,
    Action.LIST_CALLBACKS: STAFF,
    Action.ADD_CALLBACK: STAFF,
    Action.MARKETING_OFFERS: STAFF,
    Action.MARKETING_SEGMENTS: STAFF,
    Action.WORK_INBOX: STAFF,
    Action.SEE_SHOP_LOCALE: STAFF,
    Action.LOG_CONTACT: STAFF,
    Action.WORK_CASES: STAFF,
    Action.REVERSE_ORDER: STAFF,
    Action.TRACK_ORDERS: STAFF,
    Action.MOVE_ORDERS: SUPERVISORS,
    Action.SERVICE_QUALITY: SUPERVISORS,
    Action.SUPERVISE_QUEUE: SUPERVISORS,
    Action.RELEASE_CALLBACK: SUPERVISORS,
    Action.VIEW_DASHBOARD: SUPERVISORS,
    Action.RUN_REPORTS: SUPERVISORS,
    Action.MARKETING_REFRESH: SUPERVISORS,
    Action.MARKETING_EXPORT: SUPERVISORS,
    Action.SEE_OFFER_ACCEPTANCE: SUPERVISORS,
    Action.IMPORT: SUPERVISORS,
    Action.LIST_STAFF: SUPERVISORS,
    Action.MANAGE_STAFF: SUPERVISORS,
    Action.BACKUP: SUPERVISORS,
    Action.PRIVACY: SUPERVISORS,
    Action.RUN_SHOP: SUPERVISORS,
    Action.RESTOCK: SUPERVISORS,
    Action.SET_SHOP_LOCALE: SUPERVISORS,
}


PLURAL = {Role.AGENT: "agents", Role.SUPERVISOR: "supervisors", Role.OPS: "ops"}


class NotAllowed(ServiceError):
    def __init__(self, staff: "StaffMember", action: Action):
        allowed = " and ".join(sorted(PLURAL[role] for role in RULES[action]))
        super().__init__("not_allowed", f"{staff.login} may not {action.value}: that is not for your role "
                         f"({staff.role.value}), only for {allowed}",
                         login=staff.login, role=staff.role.value, action=action.name)
        self.action = action


def may(staff: "StaffMember", action: Action) -> bool:
    return staff.active and staff.role in RULES[action]


def require(staff: "StaffMember", action: Action) -> None:
    if not may(staff, action):
        raise NotAllowed(staff, action)
