"""framing dashboard, for ``streamlit run app.py`` from the source tree.

The dashboard itself is :mod:`framing.ui.dashboard`, inside the package, so that an installed ``framing dashboard``
runs it too; this file only calls it.
"""

from framing.ui.dashboard import main

main()
