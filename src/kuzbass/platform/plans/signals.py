"""A carried motion on a plan matter takes effect in the same transaction that closes its ballot.

The councils app sends ``motion_decided`` inside the closing transaction; this receiver puts the
matter (norms, priorities, planning rules, an adoption) into force, so there is no second step
that could be missed, and an error here undoes the close.
"""

from typing import Any

from django.dispatch import receiver

from kuzbass.platform.councils.models import Motion
from kuzbass.platform.councils.signals import motion_decided


@receiver(motion_decided, dispatch_uid="plans.apply_carried_matter")
def apply_carried_matter(sender: Any, motion: Motion, carried: bool, **kwargs: Any) -> None:
    if not carried:
        return
    from kuzbass.platform.plans.models import PlanMatter
    from kuzbass.platform.plans.services import apply_matter

    matter = (
        PlanMatter.objects.select_related("council", "motion")
        .filter(motion_id=motion.pk, applied_at__isnull=True)
        .first()
    )
    if matter is not None:
        apply_matter(matter)
