"""confluent-kafka's AdminClient against strata: topic configs (describe, incremental alter, an
unknown key), partitions, record deletion, groups and the cluster. Prints results as JSON.
Usage: admin.py BOOTSTRAP TOPIC GROUP"""
import json
import sys

from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                   NewPartitions, NewTopic)

bootstrap, topic, group = sys.argv[1:4]
admin = AdminClient({"bootstrap.servers": bootstrap})
out = {}


def wait(futures):
    return {key: future.result(timeout=20) for key, future in futures.items()}


def error_of(future):
    try:
        future.result(timeout=20)
        return None
    except Exception as e:  # the KafkaException carries the broker's error
        return e.args[0].name() if e.args and hasattr(e.args[0], "name") else str(e)


wait(admin.create_topics([NewTopic(topic, num_partitions=2, config={"retention.ms": "600000"})]))
producer = Producer({"bootstrap.servers": bootstrap})
for i in range(5):
    producer.produce(topic, value=b"%d" % i, partition=0)
producer.flush(20)
resource = ConfigResource("topic", topic)
described = wait(admin.describe_configs([resource]))[resource]
out["described"] = {name: [entry.value, str(entry.source)] for name, entry in described.items()}

change = ConfigResource("topic", topic, incremental_configs=[
    ConfigEntry("retention.bytes", "1048576", incremental_operation=AlterConfigOpType.SET),
    ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)])
wait(admin.incremental_alter_configs([change]))
after = wait(admin.describe_configs([resource]))[resource]
out["after"] = {name: after[name].value for name in ("retention.ms", "retention.bytes")}

bad = ConfigResource("topic", topic, incremental_configs=[
    ConfigEntry("segment.bytes", "1", incremental_operation=AlterConfigOpType.SET)])
out["unknown_config"] = error_of(admin.incremental_alter_configs([bad])[bad])

wait(admin.create_partitions([NewPartitions(topic, 3)]))
out["shrink"] = error_of(admin.create_partitions([NewPartitions(topic, 1)])[topic])

deleted = admin.delete_records([TopicPartition(topic, 0, 2)])
out["low_watermark"] = list(deleted.values())[0].result(timeout=20).low_watermark

cluster = admin.describe_cluster().result(timeout=20)
out["cluster"] = {"id": cluster.cluster_id, "nodes": len(cluster.nodes), "controller": cluster.controller.id}
out["groups"] = sorted(g.group_id for g in admin.list_consumer_groups().result(timeout=20).valid)
out["group_deleted"] = error_of(admin.delete_consumer_groups([group])[group])
out["groups_after"] = sorted(g.group_id for g in admin.list_consumer_groups().result(timeout=20).valid)
print(json.dumps(out))
