"""kafka-python as a group consumer (subscribe) that resumes from the group's committed offsets:
prints what it read as JSON. Usage: group_resume.py BOOTSTRAP TOPIC GROUP"""
import json
import sys

from kafka import KafkaConsumer

bootstrap, topic, group = sys.argv[1:4]
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, consumer_timeout_ms=6000)
seen = [[m.partition, m.offset, m.value.decode()] for m in consumer]
consumer.commit()
consumer.close()
print(json.dumps({"seen": seen}))
