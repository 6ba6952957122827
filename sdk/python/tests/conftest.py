"""Fixtures for the cluster tests: the URI comes from SHALE_TEST_URI
(test/e2e/sdks.sh starts a cluster and sets it); without it they are skipped."""
import os

import pytest

import shale


@pytest.fixture(scope="session")
def uri() -> str:
    value = os.environ.get("SHALE_TEST_URI")
    if not value:
        pytest.skip("SHALE_TEST_URI is not set")
    return value


@pytest.fixture(scope="session")
def db(uri):
    database = shale.connect(uri, max_size=4)
    yield database
    database.close()
