"""The outbox: the one way every e-mail leaves (``services.notify``).

Import from the submodules (``core.notifications.services``, ``.kinds``):
this package is loaded while ``core.models`` is, so it imports nothing here.
"""
