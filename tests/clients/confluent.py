"""confluent-kafka (librdkafka) against strata's Kafka listener: an idempotent producer with
zstd, a consumer by assignment that commits. Prints what it saw as JSON.
Usage: confluent.py BOOTSTRAP TOPIC GROUP"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, group = sys.argv[1:4]
producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                     "compression.type": "zstd", "linger.ms": 5})
errors = []
for i in range(20):
    producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i, partition=i % 2,
                     headers=[("origin", b"confluent")],
                     on_delivery=lambda err, msg: err and errors.append(str(err)))
left = producer.flush(20)

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
consumer.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
seen = []
while len(seen) < 20:
    message = consumer.poll(10.0)
    if message is None:
        break
    if message.error():
        errors.append(str(message.error()))
        break
    seen.append({"partition": message.partition(), "offset": message.offset(),
                 "key": message.key().decode(), "value": message.value().decode(),
                 "headers": [[k, v.decode()] for k, v in (message.headers() or [])]})
consumer.commit(asynchronous=False)
committed = {str(tp.partition): tp.offset
             for tp in consumer.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)}
consumer.close()
print(json.dumps({"unflushed": left, "errors": errors, "seen": seen, "committed": committed}))
