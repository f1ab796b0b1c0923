import pytest


@pytest.fixture(autouse=True)
def audit_checkpoints(settings, tmp_path):
    """Each test's audit checkpoints in a directory of its own: a checkpoint of another test's chains would
    read, rightly, as those chains removed."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR
