"""Consumption: a member takes goods from the social product, paying their labour values."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from kuzbass.platform.accounts.models import (
    Account,
    AccountKind,
    Consumption,
    Transfer,
    TransferKind,
    hours,
    seconds_of,
)
from kuzbass.platform.accounts.services.balances import account_for
from kuzbass.platform.accounts.services.deductions import current_deductions
from kuzbass.platform.core import clock
from kuzbass.platform.core.actors import Visitor, require_user
from kuzbass.platform.core.checks import check_hours
from kuzbass.platform.core.errors import InvalidInputError, RefusedError
from kuzbass.platform.ledger.services import append_event, lock_ledger


def adopted_labour_values() -> dict[str, Decimal]:
    """Hours per unit of each good under the adopted plan (from the plan cycle)."""
    from kuzbass.platform.plans.services import versions

    try:
        return versions.adopted_labour_values()
    except versions.NoAdoptedPlan as error:
        raise RefusedError(
            "no plan has been adopted yet: goods are priced at the labour values of "
            "the adopted plan"
        ) from error


@transaction.atomic
def consume(actor: Visitor, lines: Mapping[str, Any]) -> list[Consumption]:
    """A member takes goods from the social product, paying their labour values in hours.

    Refused as a whole if a good is unknown to the adopted plan, a quantity is not positive, or
    the total would take the balance below what the congress allows (its overdraft).
    """
    lock_ledger()
    actor = require_user(actor)
    if not lines:
        raise InvalidInputError("name at least one good and its quantity", field="lines")
    values = adopted_labour_values()
    priced: list[tuple[str, Decimal, Decimal, int]] = []
    for product, quantity in lines.items():
        if product not in values:
            raise InvalidInputError(
                f"good {product!r} is not in the adopted plan (its goods: "
                f"{', '.join(sorted(values))})",
                field="product",
            )
        amount = check_hours(quantity, f"quantity of {product}", places=4)
        value = Decimal(values[product])
        seconds = seconds_of(amount * value)
        if seconds < 1:
            raise InvalidInputError(
                f"quantity of {product} {amount} costs less than a second of labour "
                f"({value} h per unit): nothing to record",
                field="quantity",
            )
        priced.append((product, amount, value, seconds))
    member = account_for(AccountKind.MEMBER, user=actor)
    Account.objects.select_for_update().get(pk=member.pk)  # one consumption at a time per member
    deductions = current_deductions()
    balance = member.balance_seconds()
    total = sum(seconds for *_, seconds in priced)
    if balance - total < -deductions.overdraft_seconds:
        raise RefusedError(
            f"these goods cost {hours(total)} h but your balance is {hours(balance)} h"
            + (
                f" and the congress allows an overdraft of {hours(deductions.overdraft_seconds)} h"
                if deductions.overdraft_seconds
                else " and the congress allows no overdraft"
            ),
            field="quantity",
        )
    social_product = account_for(AccountKind.SOCIAL_PRODUCT)
    moment = clock.now()
    consumptions: list[Consumption] = []
    sealed: list[Any] = []
    for product, amount, value, seconds in priced:
        consumption = Consumption.objects.create(
            member=actor,
            product=product,
            quantity=amount,
            labour_value=value,
            seconds=seconds,
            consumed_at=moment,
        )
        consumptions.append(consumption)
        if seconds > 0:
            sealed.append(
                Transfer.objects.create(
                    kind=TransferKind.CONSUMPTION,
                    debit=member,
                    credit=social_product,
                    seconds=seconds,
                    consumption=consumption,
                    recorded_at=moment,
                )
            )
    append_event(
        "goods.consumed",
        {
            "member": actor.get_username(),
            "goods": {
                p: {"quantity": str(a), "hours_per_unit": str(v), "hours": str(hours(s))}
                for p, a, v, s in priced
            },
            "hours": str(hours(total)),
        },
        seals=sealed,
    )
    return consumptions
