"""Typed ORM, the case state machine, the database and the unit of work."""

from models.apikeys import ApiKey
from models.base import Base
from models.broadcast import Subscription, WeeklySummary
from models.cases import (
    AlbumReply,
    Case,
    CaseEvent,
    CaseFollower,
    DraftStep,
    PendingInput,
    Photo,
    PhotoKind,
    ReportDraft,
    RoutedBy,
)
from models.grid import BindingRole, GridUnit, Invite, OfficerBinding, Place, UnitLevel
from models.identities import UserIdentity
from models.offered import OfferedChoices
from models.outbox import DeliveryStatus, OutboxMessage
from models.receipts import InboundReceipt
from models.status import CaseStatus, IllegalTransition, transition
from models.tokens import AccessToken
from models.users import Role, User

__all__ = [
    "AccessToken",
    "AlbumReply",
    "ApiKey",
    "Base",
    "BindingRole",
    "Case",
    "CaseEvent",
    "CaseFollower",
    "CaseStatus",
    "DeliveryStatus",
    "DraftStep",
    "GridUnit",
    "IllegalTransition",
    "InboundReceipt",
    "Invite",
    "OfferedChoices",
    "OfficerBinding",
    "OutboxMessage",
    "PendingInput",
    "Photo",
    "PhotoKind",
    "Place",
    "ReportDraft",
    "Role",
    "RoutedBy",
    "Subscription",
    "UnitLevel",
    "User",
    "UserIdentity",
    "WeeklySummary",
    "transition",
]
