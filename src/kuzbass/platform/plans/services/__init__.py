"""Every step of the plan cycle, one module per noun; the pages, the API and ``kuzbass demo`` call
these, so permissions, validation and the ledger are the same whichever way a council comes in.

The cycle, programmatically (``actor`` is a logged-in user; officers act for their council)::

    register_products(officer, congress, [{"name": "soap", "unit": "t"}, ...])
    register_resources(officer, congress, [{"name": "labour", "unit": "h", "available": 1e6}])
    declare_technique(officer, workplace, name=..., product=..., output=..., labour=...,
                      capacity=..., inputs={"coal": 2.0})        # or upload_techniques(...)
    propose_norms(officer, workplace, hours_per_shift=6, days_per_period=20, workers=40)
    submit_need(officer, consumer, product="soap", quantity=10, use="basic needs", demand=None)
    propose_priorities(delegate, congress, ["basic needs", "public services", ...])
    run_planning_round(officer, congress)                       # → draft PlanVersion
    open_participatory_round(officer, congress, deadline=...)    # rounds at published prices
    submit_proposal(officer, workplace, outputs=..., inputs=..., hours=...)  # each round
    submit_proposal(officer, consumer, needs=...)                # within the council's budget
    close_due_rounds()                                           # the task runner, at deadlines
    propose_adoption(delegate, congress, version)                # → Motion; carried = adopted

Norms, priorities, planning rules and adoption are motions of the platform: they take effect in
the transaction that closes the carrying ballot (:mod:`kuzbass.platform.plans.signals`).
Each action runs in one ``transaction.atomic`` block with the ledger event that records it;
errors a person can cause raise the :mod:`kuzbass.platform.core.errors`.
"""

from kuzbass.platform.plans.services.catalogue import (
    CATALOGUE_PREFIX,
    NoCongressError,
    congress,
    register_products,
    register_resources,
)
from kuzbass.platform.plans.services.matters import (
    DEFAULT_RULES,
    DEFAULT_USES,
    apply_matter,
    current_norms,
    planning_rules,
    priority_classes,
    propose_adoption,
    propose_norms,
    propose_planning_rules,
    propose_priorities,
)
from kuzbass.platform.plans.services.needs import submit_need, withdraw_need
from kuzbass.platform.plans.services.proposals import (
    council_budget,
    round_goods,
    submit_proposal,
)
from kuzbass.platform.plans.services.rounds import (
    close_due_rounds,
    close_participatory_round,
    open_participatory_round,
    open_round,
)
from kuzbass.platform.plans.services.techniques import (
    declare_technique,
    upload_techniques,
    withdraw_technique,
)
from kuzbass.platform.plans.services.versions import (
    NoAdoptedPlan,
    adopted_labour_values,
    adopted_version,
    compute_plan,
    consumer_part,
    content_hash,
    diff_versions,
    latest_draft,
    read_declarations,
    run_planning_round,
    workplace_part,
)

__all__ = [
    "CATALOGUE_PREFIX",
    "DEFAULT_RULES",
    "DEFAULT_USES",
    "NoAdoptedPlan",
    "NoCongressError",
    "adopted_labour_values",
    "adopted_version",
    "apply_matter",
    "close_due_rounds",
    "close_participatory_round",
    "compute_plan",
    "congress",
    "consumer_part",
    "content_hash",
    "council_budget",
    "current_norms",
    "declare_technique",
    "diff_versions",
    "latest_draft",
    "open_participatory_round",
    "open_round",
    "planning_rules",
    "priority_classes",
    "propose_adoption",
    "propose_norms",
    "propose_planning_rules",
    "propose_priorities",
    "read_declarations",
    "register_products",
    "register_resources",
    "round_goods",
    "run_planning_round",
    "submit_need",
    "submit_proposal",
    "upload_techniques",
    "withdraw_need",
    "withdraw_technique",
    "workplace_part",
]
