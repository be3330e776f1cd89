"""An idempotent confluent-kafka producer that keeps producing while the test kills a broker,
then reads every partition back from the start. Prints "sent N" every 100 records, then one JSON
line: what was delivered, every error, and what was read back.
Usage: failover.py BOOTSTRAP TOPIC COUNT"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5, "message.timeout.ms": 90000}
if os.environ.get("STRATA_TEST_LOG_DIR"):
    settings["debug"] = "eos,protocol,topic,broker"  # to stderr, which the test keeps
producer = Producer(settings)
delivered, errors = set(), []


def on_delivery(err, message):
    if err:
        errors.append(str(err))
    else:
        delivered.add(message.value().decode())


for i in range(count):
    while True:
        try:
            producer.produce(topic, value=str(i).encode(), on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.1)
    producer.poll(0)
    if i % 100 == 0:
        print(f"sent {i}", flush=True)
    time.sleep(0.004)
unflushed = producer.flush(90)

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "failover-check", "enable.auto.commit": False})
partitions = list(consumer.list_topics(topic, timeout=20).topics[topic].partitions)
consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
read = []
deadline = time.time() + 60
while len(set(read)) < len(delivered) and time.time() < deadline:
    message = consumer.poll(1.0)
    if message is not None and not message.error():
        read.append(message.value().decode())
consumer.close()
missing = sorted(delivered - set(read), key=int)[:10]
print(json.dumps({"delivered": len(delivered), "errors": errors[:10], "unflushed": unflushed,
                  "read": len(read), "distinct": len(set(read)), "missing": missing}), flush=True)
