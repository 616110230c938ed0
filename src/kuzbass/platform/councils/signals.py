"""Extension point: other apps act on a council's decision inside the transaction that records it.

``motion_decided`` is sent when a motion's ballot is tallied (after the built-in effects:
elections, recalls, constitution changes, demands), with ``motion``, ``ballot``, ``carried`` and
``winners``. Receivers run inside the closing transaction: what they change, and the ledger
events they append, commit together with the decision, and an exception in a receiver undoes
the close. A plan adoption, say, is a motion whose subject lives in the planning app (a model
with a one-to-one link to ``Motion``) and whose receiver adopts the plan when it is carried.
"""

from django.dispatch import Signal

motion_decided = Signal()
