"""A carried motion on a plan matter takes effect in the same transaction that closes its ballot.

The councils app decides motions without knowing about plans; this receiver watches the motion's
status change, so norms, priorities, rules and adoption need no second step that could be missed.
"""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from kuzbass.platform.councils.models import Motion, MotionStatus


@receiver(post_save, sender=Motion, dispatch_uid="plans.apply_carried_matter")
def apply_carried_matter(sender: type[Motion], instance: Motion, **kwargs: Any) -> None:
    if instance.status != MotionStatus.CARRIED:
        return
    from kuzbass.platform.plans.models import PlanMatter
    from kuzbass.platform.plans.services import apply_matter

    matter = (
        PlanMatter.objects.select_related("council", "motion")
        .filter(motion_id=instance.pk, applied_at__isnull=True)
        .first()
    )
    if matter is not None:
        apply_matter(matter)
