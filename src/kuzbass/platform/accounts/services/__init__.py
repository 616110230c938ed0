"""Every action on labour-time accounts, one module per noun, for the pages, the API and the CLI.

As everywhere in the platform: each action runs in one ``transaction.atomic`` block that also
appends the ledger event recording the change, and refuses bad input with a
:mod:`kuzbass.platform.core.errors` error before writing anything.
"""

from kuzbass.platform.accounts.services.balances import (
    account_for,
    all_balances,
    balance_seconds,
    member_balance_seconds,
)
from kuzbass.platform.accounts.services.consumption import adopted_labour_values, consume
from kuzbass.platform.accounts.services.crediting import (
    CREDIT_CHUNK,
    CreditingResult,
    credit_confirmed_hours,
    credited_seconds,
)
from kuzbass.platform.accounts.services.deductions import (
    current_deductions,
    set_deductions,
    split_hours,
)
from kuzbass.platform.accounts.services.fulfilment import (
    DEFAULT_DEVIATION_THRESHOLD,
    Fulfilment,
    fulfilment,
    report_fulfilment,
    set_deviation_threshold,
)
from kuzbass.platform.accounts.services.hours import (
    MOST_HOURS_PER_REGISTRATION,
    SheetLine,
    confirm_all_hours,
    confirm_hours,
    register_hours,
    register_sheet,
)

__all__ = [
    "CREDIT_CHUNK",
    "DEFAULT_DEVIATION_THRESHOLD",
    "MOST_HOURS_PER_REGISTRATION",
    "CreditingResult",
    "Fulfilment",
    "SheetLine",
    "account_for",
    "adopted_labour_values",
    "all_balances",
    "balance_seconds",
    "confirm_all_hours",
    "confirm_hours",
    "consume",
    "credit_confirmed_hours",
    "credited_seconds",
    "current_deductions",
    "fulfilment",
    "member_balance_seconds",
    "register_hours",
    "register_sheet",
    "report_fulfilment",
    "set_deductions",
    "set_deviation_threshold",
    "split_hours",
]
