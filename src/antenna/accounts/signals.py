"""Signals that apps above accounts may listen to."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a federated sign-in, with `user` and `claims` (the verified ID token's claims):
# the factories app verifies site accounts from a configured claim.
federated_sign_in_done = Signal()
