"""The README's rule reference is generated from the catalog and must be current."""

from analyzer.tools import docs
from tests.conftest import REPO


def test_readme_rule_reference_is_current() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert docs.render(readme) == readme, (
        "run `make docs` (python -m analyzer.tools.docs README.md)"
    )


def test_every_rule_has_an_anchor_in_the_readme() -> None:
    from analyzer.core import catalog

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in catalog.load():
        assert f'<a id="{code.lower()}"></a>' in readme
