"""A member of a Kafka consumer group (confluent-kafka, subscribe()): reads until it has been idle
for 5 s with an assignment (long enough for a member started beside it on a busy machine to
join), commits, prints its assignment and what it read as JSON, then stays in the group until
its stdin closes (so every member reports while all are members).
Usage: group_member.py BOOTSTRAP TOPIC GROUP ASSIGNOR (an assignor name, or "consumer" for the
KIP-848 protocol, where the broker assigns)"""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, group, assignor = sys.argv[1:5]
settings = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest"}
if assignor == "consumer":
    # KIP-848: the broker assigns; the session and assignors are the broker's.
    settings["group.protocol"] = "consumer"
else:
    settings.update({"session.timeout.ms": 10000, "partition.assignment.strategy": assignor})
consumer = Consumer(settings)
consumer.subscribe([topic])
seen = []
last = time.time()
deadline = time.time() + 60
while time.time() < deadline:
    message = consumer.poll(0.2)
    if message is not None and not message.error():
        seen.append([message.partition(), message.offset(), message.value().decode()])
        last = time.time()
    elif consumer.assignment() and time.time() - last > 5:
        break
consumer.commit(asynchronous=False)
print(json.dumps({"assignment": sorted(tp.partition for tp in consumer.assignment()), "seen": seen}), flush=True)
sys.stdin.read()
consumer.close()
