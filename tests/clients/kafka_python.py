"""kafka-python against strata's Kafka listener: create a topic with a config, produce with the
default (idempotent) producer, read back by assignment, commit. Prints what it saw as JSON.
Usage: kafka_python.py BOOTSTRAP TOPIC GROUP"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

bootstrap, topic, group = sys.argv[1:4]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1,
                              topic_configs={"retention.ms": "86400000"})])
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20000)
for i in range(6):
    producer.send(topic, partition=i % 2, key=b"key-%d" % i, value=b"value-%d" % i,
                  headers=[("origin", b"kafka-python")]).get(timeout=20)
producer.flush()
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                         auto_offset_reset="earliest", consumer_timeout_ms=5000)
partitions = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
consumer.assign(partitions)
seen = [{"partition": m.partition, "offset": m.offset, "key": m.key.decode(),
         "value": m.value.decode(), "headers": [[k, v.decode()] for k, v in m.headers]}
        for m in consumer]
consumer.commit()
committed = {str(tp.partition): consumer.committed(tp) for tp in partitions}
consumer.close()
print(json.dumps({"topics": sorted(admin.list_topics()), "seen": seen, "committed": committed}))
