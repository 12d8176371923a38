"""Gives every SQS event source mapping LocalStack creates a ``ScalingSqsPoller``.

``EsmWorkerFactory.get_esm_worker`` builds the worker of a mapping on create, on update (LocalStack
replaces the worker) and when state is restored. The patch lets it build everything as before and
then swaps the ``SqsPoller`` it made; EventBridge Pipes and other sources are left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from localstack.services.lambda_.event_source_mapping.esm_worker_factory import EsmWorkerFactory
from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import SqsPoller
from localstack.utils.patch import Patch, Patches

from lanes_esm.mapping_state import remember
from lanes_esm.poller import replace_sqs_poller
from lanes_esm.scaling import policy_for
from lanes_esm.settings import EsmSettings
from lanes_esm.stats import REGISTRY, StatsRegistry

LOG = logging.getLogger(__name__)


def _tags_of(esm_config: dict[str, Any]) -> dict[str, str]:
    tags = esm_config.get("Tags") or {}
    if isinstance(tags, list):  # CloudFormation's form
        return {tag.get("Key"): tag.get("Value") for tag in tags if isinstance(tag, dict)}
    return {str(key): str(value) for key, value in dict(tags).items()}


def describe(esm_config: dict[str, Any], policy_json: dict[str, Any]) -> dict[str, Any]:
    """The configuration part of a mapping's stats document."""
    source = esm_config.get("EventSourceArn", "")
    return {
        "functionArn": esm_config.get("FunctionArn"),
        "eventSourceArn": source,
        "fifo": source.endswith(".fifo"),
        "batchSize": esm_config.get("BatchSize"),
        "maximumBatchingWindowInSeconds": esm_config.get("MaximumBatchingWindowInSeconds", 0),
        "maximumConcurrency": (esm_config.get("ScalingConfig") or {}).get("MaximumConcurrency"),
        "provisionedPollerConfig": esm_config.get("ProvisionedPollerConfig") or None,
        "reportBatchItemFailures": "ReportBatchItemFailures"
        in (esm_config.get("FunctionResponseTypes") or []),
        "scaling": policy_json,
    }


def scaling_mapping_patches(settings: EsmSettings, registry: StatsRegistry = REGISTRY) -> Patches:
    def get_esm_worker(original, self: EsmWorkerFactory):
        worker = original(self)
        remember(worker)
        if type(worker.poller) is not SqsPoller:
            return worker
        config = self.esm_config
        policy = policy_for(config, settings, _tags_of(config))
        stats = registry.for_mapping(config["UUID"])
        stats.configure(describe(config, policy.as_json()))
        replace_sqs_poller(worker, config, self.function_role_arn, policy, settings, stats)
        LOG.debug("lanes-esm %s: %s", config["UUID"], policy)
        return worker

    return Patches([Patch.function(EsmWorkerFactory.get_esm_worker, get_esm_worker)])
