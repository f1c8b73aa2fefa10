"""Rules about the scan itself (PR001 file not scanned, PR002 invalid suppression).

Their findings are produced by the scan engine, not by a check function:
registering the codes here keeps the catalog and the registry in agreement.
"""

from collections.abc import Sequence

from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding


@repo_check("PR001", "PR002")
def _scan_meta(results: Sequence[FileResult]) -> list[Finding]:
    return []
