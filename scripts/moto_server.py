"""moto's server (`moto_server`'s own arguments), with SQS's cost per message
made independent of the queue's depth, as it is in AWS.

moto 5.2 builds every attribute of a queue to read one of them, and three of
them (the approximate counts) scan every message in the queue. SendMessage
reads one attribute per message sent (so per message an SNS publish fans out),
and ReceiveMessage three per message received. With a backlog of 1,500
messages, two thirds of moto's one core went to those scans (py-spy, the soak's
SNS-outage scenario): every publish and receive slowed as the backlog grew,
which is moto's cost, not the fleet's. Both paths here read the one attribute
they need; every answer is what moto gives, and GetQueueAttributes is untouched.
docs/decisions/0009-moto-with-sqs-costs-independent-of-depth.md says more.
"""

import sys
import threading

from moto.core.utils import unix_time
from moto.server import main
from moto.sqs.models import Queue, SQSBackend

_sending = threading.local()
_all_attributes = Queue.attributes.fget


def _attributes(queue):
    if not getattr(_sending, "active", False):
        return _all_attributes(queue)
    # What SendMessage reads (ContentBasedDeduplication, a FIFO queue's only),
    # converted as moto converts it.
    if not queue.fifo_queue:
        return {}
    value = queue.content_based_deduplication
    return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}


_send_message = SQSBackend.send_message


def _send_message_reading_one_attribute(self, *args, **kwargs):
    _sending.active = True
    try:
        return _send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


def _within_retention(self, queue_name, message):
    # moto's own rule, reading the queue's one attribute rather than all of them.
    retention = self.get_queue(queue_name).message_retention_period
    return retention + message.sent_timestamp / 1000 > unix_time()


# A moto that renamed what is replaced fails here, at start-up, not silently.
assert callable(SQSBackend.is_message_valid_based_on_retention_period)
Queue.attributes = property(_attributes)
SQSBackend.send_message = _send_message_reading_one_attribute
SQSBackend.is_message_valid_based_on_retention_period = _within_retention

if __name__ == "__main__":
    sys.exit(main())
