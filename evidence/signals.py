"""Signals other apps listen to; evidence never imports them (dependencies flow one way)."""

from django.dispatch import Signal

# Sent after an artifact's evidence is committed. kwargs: artifact
evidence_parsed = Signal()
