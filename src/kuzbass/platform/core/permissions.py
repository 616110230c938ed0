"""Who may do what in a council, in one place; services check before they write.

Members act in their councils; officers also run them (invite, open ballots, register hours).
A federation's or the congress's members are the delegates of its member councils.
"""

from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.errors import NotAllowedError
from kuzbass.platform.councils.models import Council, Membership, Role


def active_membership(visitor: Visitor, council: Council) -> Membership | None:
    """The person's current seat in ``council``, or None (always None for anonymous visitors)."""
    if visitor is None or not visitor.is_authenticated:
        return None
    return Membership.objects.filter(
        user_id=visitor.pk, council=council, ended_at__isnull=True
    ).first()


def is_member(visitor: Visitor, council: Council) -> bool:
    return active_membership(visitor, council) is not None


def is_officer(visitor: Visitor, council: Council) -> bool:
    membership = active_membership(visitor, council)
    return membership is not None and membership.role == Role.OFFICER


def require_member(visitor: Visitor, council: Council) -> Membership:
    """The person's seat in ``council``, or ``NotAllowedError`` naming the council."""
    membership = active_membership(require_user(visitor), council)
    if membership is None:
        raise NotAllowedError(f"you are not a member of {council.name}")
    return membership


def require_officer(visitor: Visitor, council: Council) -> Membership:
    """The officer's seat in ``council``, or ``NotAllowedError`` naming the council."""
    membership = require_member(visitor, council)
    if membership.role != Role.OFFICER:
        raise NotAllowedError(f"only officers of {council.name} may do this")
    return membership
