"""The LocalStack hook that installs the lanes event source mapping when LocalStack starts."""

from __future__ import annotations

import logging

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)

_installed = False


@hooks.on_infra_start(priority=50)
def lanes_event_source_mapping() -> None:
    """Checks the pinned internals, applies the patches, registers the stats endpoint.

    Raises (and so stops LocalStack from starting) when the installed LocalStack differs from
    the one the patches were written for; set ``LANES_ESM_DISABLED=1`` to run LocalStack's own
    poller instead.
    """
    global _installed
    import os

    if _installed or os.environ.get("LANES_ESM_DISABLED") == "1":
        return
    from lanes_esm import compat

    compat.check()

    from localstack.services.edge import ROUTER

    from lanes_esm.canary import alias_update_patches
    from lanes_esm.cloudformation import reserved_concurrency_patches
    from lanes_esm.cold_starts import cold_start_patches
    from lanes_esm.dynamodb_local import dynamodb_local_patches
    from lanes_esm.endpoints import EventSourceMappingEndpoints, TimingEndpoints
    from lanes_esm.environments import environment_lookup_patches
    from lanes_esm.fair_queues import fair_queue_patches
    from lanes_esm.fifo import fifo_group_lock_patches
    from lanes_esm.lambda_metrics import lambda_metric_patches
    from lanes_esm.mapping import scaling_mapping_patches
    from lanes_esm.mapping_state import mapping_state_patches
    from lanes_esm.moto_backends import moto_backend_patches
    from lanes_esm.parser_caches import parser_cache_patches
    from lanes_esm.settings import EsmSettings
    from lanes_esm.sqs_metrics import interval_seconds, start_publisher
    from lanes_esm.stats import REGISTRY
    from lanes_esm.stepfunctions_callbacks import callback_lookup_patches
    from lanes_esm.stepfunctions_clients import stepfunctions_client_patches
    from lanes_esm.stepfunctions_logs import stepfunctions_log_patches
    from lanes_esm.timings import timing_patches
    from lanes_esm.validation import sqs_mapping_validation_patches

    settings = EsmSettings.from_environment()
    for patches in (
        scaling_mapping_patches(settings),
        sqs_mapping_validation_patches(),
        fifo_group_lock_patches(),
        fair_queue_patches(),
        reserved_concurrency_patches(),
        alias_update_patches(),
        timing_patches(),
        lambda_metric_patches(),
        environment_lookup_patches(),
        cold_start_patches(),
        mapping_state_patches(),
        parser_cache_patches(),
        callback_lookup_patches(),
        stepfunctions_client_patches(),
        stepfunctions_log_patches(),
        dynamodb_local_patches(),
        moto_backend_patches(),
    ):
        patches.apply()
    ROUTER.add(EventSourceMappingEndpoints(REGISTRY, settings))
    ROUTER.add(TimingEndpoints())
    start_publisher(interval_seconds())
    _installed = True
    LOG.info("lanes event source mapping installed (%s)", settings)
