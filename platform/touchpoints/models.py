"""Imports every model so that metadata, Alembic and RLS set-up see all tables."""

from touchpoints.api.models import ApiToken
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import LoginSession, User
from touchpoints.background.models import BackgroundJob
from touchpoints.calendar.models import CalendarOverride  # noqa: F401
from touchpoints.core.tenancy import Agency, FormTemplate, Region, Subdivision
from touchpoints.dashboard.models import AgencyFigures  # noqa: F401
from touchpoints.deadlines.models import (  # noqa: F401
    Deadline,
    Publication,
    Reconfirmation,
    Reminder,
    ReminderDigest,
    ReminderOptOut,
    ReminderPolicy,
)
from touchpoints.invitations.models import Invitation  # noqa: F401
from touchpoints.lists.models import AreaStatus, Entry, ListVersion, VersionEntry
from touchpoints.lists.passports import SharedTouchpoint, TouchpointPassport  # noqa: F401
from touchpoints.lists.processes import RegistryChange, RegistryProcess  # noqa: F401
from touchpoints.mail.models import MailMessage
from touchpoints.notifications.models import Notification, NotificationPreference  # noqa: F401
from touchpoints.orders.models import OrderDocument
from touchpoints.public.models import PublishedFile
from touchpoints.publication.models import PublicationCheck  # noqa: F401
from touchpoints.reports.models import QuarterSnapshot  # noqa: F401
from touchpoints.transfer.models import ImportChoice, ImportSession  # noqa: F401
from touchpoints.users.email_change import EmailChange  # noqa: F401

__all__ = [
    "Agency",
    "ApiToken",
    "AreaStatus",
    "AuditEvent",
    "BackgroundJob",
    "Entry",
    "FormTemplate",
    "ImportSession",
    "ListVersion",
    "LoginSession",
    "MailMessage",
    "OrderDocument",
    "PublishedFile",
    "Region",
    "Subdivision",
    "User",
    "VersionEntry",
]
