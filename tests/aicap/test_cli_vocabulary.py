"""`aicap validate` reports a misspelt term with the declared one, and writes nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from aicap.cli import main
from kg.config import Settings

OBLIGATION = Path(__file__).parents[1] / "data" / "new-obligation.ttl"


def test_validate_of_a_file_with_a_misspelt_class_exits_1_naming_the_declared_one(
    settings: Settings, tmp_path: Path
) -> None:
    text = OBLIGATION.read_text().replace("OBLIGATION", "typo").replace("AMOUNT", "1000000000.0")
    typo = tmp_path / "typo.ttl"
    typo.write_text(text.replace("a aicap:PaymentObligation", "a aicap:PaymentObligaton"))

    result = CliRunner().invoke(main, ["validate", str(typo)], obj=settings)

    assert result.exit_code == 1, result.output
    assert "did you mean aicap:PaymentObligation?" in result.output
