"""Labour-time accounts and their balances, always derived from the transfers."""

from django.db.models import Sum

from kuzbass.platform.accounts.models import (
    Account,
    AccountKind,
    Transfer,
)
from kuzbass.platform.core.actors import Actor, Visitor
from kuzbass.platform.councils.models import Council


def account_for(kind: str, *, user: Actor | None = None, council: Council | None = None) -> Account:
    """The account of a member, a workplace, or one of the common accounts, opened on first use."""
    if kind == AccountKind.MEMBER:
        account, _ = Account.objects.get_or_create(kind=kind, user=user)
    elif kind == AccountKind.WORKPLACE:
        account, _ = Account.objects.get_or_create(kind=kind, council=council)
    else:
        account, _ = Account.objects.get_or_create(kind=kind, user=None, council=None)
    return account


def balance_seconds(account: Account) -> int:
    return account.balance_seconds()


def member_balance_seconds(user: Visitor) -> int:
    """A member's balance (0 for anyone without an account yet, anonymous visitors included)."""
    if user is None or not user.is_authenticated:
        return 0
    account = Account.objects.filter(kind=AccountKind.MEMBER, user_id=user.pk).first()
    return account.balance_seconds() if account else 0


def all_balances() -> dict[int, int]:
    """Every account's balance in seconds, derived from the transfers by two aggregations."""
    balances = dict.fromkeys(Account.objects.values_list("pk", flat=True), 0)
    for row in Transfer.objects.values("credit_id").annotate(total=Sum("seconds")).order_by():
        balances[row["credit_id"]] += int(row["total"])
    for out in Transfer.objects.values("debit_id").annotate(total=Sum("seconds")).order_by():
        balances[out["debit_id"]] -= int(out["total"])
    return balances
