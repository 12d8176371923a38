"""Parsers LocalStack 4.13.1 builds again on every call, built once.

Profiled with py-spy while 500 reference workflows ran (``npm run bench:workflows``), more than
half of LocalStack's single Python core went to rebuilding two kinds of parser:

- **JSONPath** (28 % of the samples): Step Functions evaluates a state's paths with jsonpath_ng's
  ``parse()``, which constructs a new PLY parser, LR tables included, for every expression it
  evaluates. A parsed path is not changed by ``find()`` or ``update_or_create()`` (they read or
  change the data), so each distinct path string is parsed once here.
- **AWS request parsers** (28 %): ``create_parser(service, protocol)`` is cached per
  ``ServiceModel`` object, but every internal client (Step Functions' Lambda client, say) brings
  a ServiceModel of its own, so each request it made built a new parser, compiling the service's
  URL rules again, and the cache grew by one parser per request. Here a service model is first
  mapped to the first model seen for the same service description: botocore's loader hands every
  client the same description dict, so the same dict means the same content, and the parser (and
  serializer) built for that content is reused.

Built once also when many threads ask at once: LocalStack's ``functools.cache`` holds no lock
while a parser is built, so every thread that misses builds its own. Step Functions runs each
execution on its own thread, and 20 executions started together built the Lambda parser 20 times
(counted while ``npm run bench:workflows`` ran); 200 orders at once (the fulfilment test) spent
a minute of LocalStack's core on that. Here the first caller builds and the others wait for it.
"""

from __future__ import annotations

import functools
import threading

import jsonpath_ng
import jsonpath_ng.ext
from botocore.model import ServiceModel
from localstack.aws import skeleton
from localstack.aws.handlers import service as service_handlers
from localstack.aws.protocol import parser as protocol_parser
from localstack.aws.protocol import serializer as protocol_serializer
from localstack.services.stepfunctions.asl.component.common.path import result_path
from localstack.services.stepfunctions.asl.utils import json_path
from localstack.utils.patch import Patch, Patches

#: Distinct JSONPath strings kept parsed; a state machine has a few dozen.
JSONPATH_CACHE_SIZE = 4096

_lock = threading.Lock()
#: id of a service description dict -> the first ServiceModel seen with it (which keeps it alive,
#: so the id cannot be reused by another dict).
_canonical: dict[int, ServiceModel] = {}


def canonical_service_model(service: ServiceModel) -> ServiceModel:
    """The first ServiceModel seen with this model's service description (the same content)."""
    description = getattr(service, "_service_description", None)
    if description is None:
        return service
    key = id(description)
    with _lock:
        known = _canonical.get(key)
        if known is None:
            _canonical[key] = service
            return service
        return known


#: (factory, canonical model, protocol) -> what the factory built for them.
_built: dict[tuple, object] = {}
#: Held while one is built: building is rare (once per service and protocol), waiting is short.
_build_lock = threading.Lock()


def _built_once(factory, service: ServiceModel, protocol):
    """``factory(model, protocol)`` for this description, built by one thread only."""
    model = canonical_service_model(service)
    key = (factory, model, protocol)
    built = _built.get(key)
    if built is None:
        with _build_lock:
            built = _built.get(key)
            if built is None:
                built = factory(model, protocol)
                _built[key] = built
    return built


def shared_create_parser(service: ServiceModel, protocol=None):
    return _built_once(protocol_parser.create_parser, service, protocol)


def shared_create_serializer(service: ServiceModel, protocol=None):
    return _built_once(protocol_serializer.create_serializer, service, protocol)


@functools.lru_cache(maxsize=JSONPATH_CACHE_SIZE)
def parse_jsonpath_ext(path: str):
    """jsonpath_ng.ext.parse, once per path string."""
    return jsonpath_ng.ext.parse(path)


@functools.lru_cache(maxsize=JSONPATH_CACHE_SIZE)
def parse_jsonpath(path: str):
    """jsonpath_ng.parse, once per path string."""
    return jsonpath_ng.parse(path)


def parser_cache_patches() -> Patches:
    """Rebinds the names the request path and Step Functions call (see ``compat`` for the pins)."""
    return Patches(
        [
            Patch(service_handlers, "create_parser", shared_create_parser),
            Patch(skeleton, "create_parser", shared_create_parser),
            Patch(skeleton, "create_serializer", shared_create_serializer),
            Patch(json_path, "parse", parse_jsonpath_ext),
            Patch(result_path, "parse", parse_jsonpath),
        ]
    )
