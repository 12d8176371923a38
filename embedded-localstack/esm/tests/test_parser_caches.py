"""Parser caches: one request parser per service description, one JSONPath parse per path."""

import functools
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import botocore.session
from localstack.aws.handlers import service as service_handlers
from localstack.aws.protocol import parser as protocol_parser
from localstack.aws.protocol.parser import create_parser
from localstack.services.stepfunctions.asl.utils import json_path

from lanes_esm.parser_caches import canonical_service_model, parser_cache_patches


#: One session for all clients, as LocalStack's internal client factory has.
SESSION = botocore.session.get_session()


def lambda_model_of_a_new_client():
    """The ServiceModel an internal client brings: a new object for every client."""
    client = SESSION.create_client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return client.meta.service_model


class RequestParserCacheTest(unittest.TestCase):
    def test_models_of_the_same_description_share_one_parser(self):
        first, second = lambda_model_of_a_new_client(), lambda_model_of_a_new_client()
        # LocalStack's own cache is per model object: two clients, two parsers.
        self.assertIsNot(first, second)
        self.assertIsNot(create_parser(first), create_parser(second))

        patches = parser_cache_patches()
        patches.apply()
        try:
            self.assertIs(canonical_service_model(second), canonical_service_model(first))
            self.assertIs(
                service_handlers.create_parser(first), service_handlers.create_parser(second)
            )
        finally:
            patches.undo()

    def test_threads_asking_at_once_share_one_parser_built_once(self):
        # As Step Functions does: one thread per execution, each with its own client's model.
        models = [lambda_model_of_a_new_client() for _ in range(8)]
        built = []
        original = protocol_parser.create_parser

        # Cached as LocalStack's is (functools.cache), and as slow to build, so the threads overlap.
        @functools.cache
        def counting_create_parser(service, protocol=None):
            built.append(service)
            time.sleep(0.05)
            return original(service, protocol)

        patches = parser_cache_patches()
        patches.apply()
        protocol_parser.create_parser = counting_create_parser
        try:
            start = threading.Barrier(len(models))

            def parse(model):
                start.wait()
                return service_handlers.create_parser(model, "rest-json")

            with ThreadPoolExecutor(len(models)) as pool:
                parsers = list(pool.map(parse, models))
        finally:
            protocol_parser.create_parser = original
            patches.undo()
        self.assertEqual(len(built), 1)
        self.assertTrue(all(parser is parsers[0] for parser in parsers))

    def test_a_different_description_keeps_its_own_model(self):
        lambda_model = lambda_model_of_a_new_client()
        sqs_model = SESSION.get_service_model("sqs")
        self.assertIs(canonical_service_model(sqs_model), sqs_model)
        self.assertIsNot(canonical_service_model(sqs_model), canonical_service_model(lambda_model))


class JsonPathCacheTest(unittest.TestCase):
    def test_a_path_is_parsed_once_and_still_evaluates_each_document(self):
        patches = parser_cache_patches()
        patches.apply()
        try:
            first = json_path.parse("$.order.lines[*].sku")
            self.assertIs(json_path.parse("$.order.lines[*].sku"), first)
            self.assertEqual(
                json_path.extract_json(
                    "$.order.lines[*].sku", {"order": {"lines": [{"sku": "a"}, {"sku": "b"}]}}
                ),
                ["a", "b"],
            )
            self.assertEqual(
                json_path.extract_json("$.order.id", {"order": {"id": "o-1"}}),
                "o-1",
            )
        finally:
            patches.undo()


if __name__ == "__main__":
    unittest.main()
