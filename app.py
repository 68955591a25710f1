"""The Chainlit entry of a checkout: ``chainlit run app.py`` serves ``assistant/chat/app.py``.

The app lives in the package so that any install can serve it (``assistant serve``). This file
stands in for it under its old name: ``import app`` gives that very module, so what a test sets
on ``app`` the handlers see.
"""

import sys

from assistant.chat import app as _app

sys.modules[__name__] = _app
