"""Writes of the outbox: create, claim, send, cancel, resend. Import from here.

How a message leaves (docs/architecture.md, "Where an e-mail goes"):

1. ``notify()`` writes a queued row inside the caller's transaction and, on
   commit, nudges the dispatcher (``queueing``).
2. ``outbox_claim_due()`` (the dispatcher: beat every few seconds, or nudged)
   moves due rows to ``sending`` under a fresh lease token, with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it and a
   conditional UPDATE everywhere, and enqueues sends after its commit
   (``dispatch``).
3. ``outbox_send_claimed()`` (the mail queue's worker) re-checks the lease,
   asks the kind whether the message is still wanted, renders it, sends it
   outside any transaction, then marks it sent. Errors: transient ones go
   back to ``queued`` with backoff and jitter; permanent ones fail the row
   and tell staff once (``sending``).

A worker killed between the SMTP server's 250 and the "sent" commit leaves a
``sending`` row whose lease runs out; it is sent again (the only duplicate the
design allows). A message lost by the broker is found the same way.

Staff's cancel and resend are in ``staff``. A test that replaces a name the
code looks up at call time patches the submodule that looks it up (e.g.
``services.sending.build_message``), not this package.
"""

from __future__ import annotations

from .dispatch import ClaimResult, outbox_claim_due, outbox_dispatch_due, outbox_drain
from .queueing import notifications_cancel_about, notify
from .sending import DELIVERY_FAILED_KIND, SendReport, outbox_send_claimed
from .staff import notification_cancel, notification_resend

__all__ = [
    "DELIVERY_FAILED_KIND",
    "ClaimResult",
    "SendReport",
    "notification_cancel",
    "notification_resend",
    "notifications_cancel_about",
    "notify",
    "outbox_claim_due",
    "outbox_dispatch_due",
    "outbox_drain",
    "outbox_send_claimed",
]
