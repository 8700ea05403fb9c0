"""Writes for delivery events, one module per sub-domain; import from here (``metrics.services``)."""

from metrics.services.common import KEEP, EventError, Keep
from metrics.services.deployments import CanaryStepData, ListedCommit, deployment_progress_record, deployment_record
from metrics.services.gates import gate_run_record, quarantine_create, quarantine_expire, quarantines_record_expired
from metrics.services.incidents import flag_flip_record, incident_record

__all__ = [
    "KEEP",
    "CanaryStepData",
    "EventError",
    "Keep",
    "ListedCommit",
    "deployment_progress_record",
    "deployment_record",
    "flag_flip_record",
    "gate_run_record",
    "incident_record",
    "quarantine_create",
    "quarantine_expire",
    "quarantines_record_expired",
]
