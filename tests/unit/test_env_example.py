import re
from pathlib import Path

from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}
