"""What accounts announces to the apps above it (they connect in their AppConfig.ready(),
so accounts imports none of them)."""

from django.dispatch import Signal

# Sent inside `ketacare setup`'s transaction with `clinic=`: a receiver's failure undoes
# the whole set-up. Consent connects to give a clinic its documents from go-live.
clinic_created = Signal()
