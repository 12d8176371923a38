"""Faithful SQS event source mappings for the embedded LocalStack (4.13.1).

A LocalStack ``on_infra_start`` hook (``lanes_esm.plugin``) checks that the installed LocalStack is
the pinned one (``lanes_esm.compat``), then patches it so that SQS event source mappings behave
like Lambda's on AWS: several batches of one mapping in flight, ``ScalingConfig.MaximumConcurrency``
and ``ProvisionedPollerConfig`` honoured, standard-mode scale-up (5, +300 per minute, back down
when idle), throttled invocations returned to the queue, FIFO groups locked while in flight,
CloudFormation's ``ReservedConcurrentExecutions`` applied, and live figures per mapping at
``/_lanes/event-source-mappings``. Settings: ``lanes_esm.settings``.
"""
