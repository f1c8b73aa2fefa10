"""Rule modules; importing this package imports every one of them, so their decorators register.

The modules are found on disk rather than listed, so a new module (or a package of them)
registers its rules without an edit here; a module that fails to import fails the scan.
"""

import importlib
import pkgutil

for _module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
    importlib.import_module(_module.name)
