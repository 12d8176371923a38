"""The Python 3.11 shim: uuid5 takes bytes names as on 3.12 (LocalStack's KMS relies on it), and
``ast.parse`` is serialised (the race it guards against needs a thread switch inside the C
conversion, which a test cannot force)."""

import ast
import hashlib
import importlib.util
import os
import sys
import unittest
import uuid

_SHIM = os.path.join(os.path.dirname(__file__), "..", "lanes_executor", "py311_compat.py")
spec = importlib.util.spec_from_file_location("py311_compat_under_test", _SHIM)
importlib.util.module_from_spec(spec)
spec.loader.exec_module(importlib.util.module_from_spec(spec))


class Uuid5Test(unittest.TestCase):
    def test_bytes_names_hash_as_python_312_does(self):
        namespace = uuid.UUID("12345678-1234-5678-1234-567812345678")
        material = b"\x00\xffkey material"
        expected = uuid.UUID(bytes=hashlib.sha1(namespace.bytes + material).digest()[:16], version=5)
        self.assertEqual(uuid.uuid5(namespace, material), expected)

    def test_str_names_are_unchanged(self):
        self.assertEqual(
            uuid.uuid5(uuid.NAMESPACE_DNS, "python.org"),
            uuid.UUID("886313e1-3b8a-5372-9b90-0c9aee199e5d"),
        )


class AstParseTest(unittest.TestCase):
    def test_parses_as_before(self):
        tree = ast.parse("def f(a, b=1):\n    return a + b\n")
        self.assertEqual(ast.dump(tree), ast.dump(compile("def f(a, b=1):\n    return a + b\n", "<s>", "exec", ast.PyCF_ONLY_AST)))
        self.assertTrue(getattr(ast.parse, "_lanes_serialised", sys.version_info >= (3, 13)))


if __name__ == "__main__":
    unittest.main()
