import pytest


@pytest.fixture(autouse=True)
def signing_key_file(settings, tmp_path_factory):
    """A throwaway signing key per test session, never the developer's .data/signing_key.pem."""
    settings.GATEHOUSE_SIGNING_KEY_FILE = tmp_path_factory.getbasetemp() / "signing_key.pem"
    return settings.GATEHOUSE_SIGNING_KEY_FILE
