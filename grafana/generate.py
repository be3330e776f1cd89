#!/usr/bin/env python3
"""Writes grafana/dashboards/*.json: the dashboards as code. Run after editing; commit both.

Every panel query here must return series from a real Prometheus scraping a real broker:
`make test` checks that (tests/it/dashboards.rs).
"""
import json
import pathlib

RATE = "$__rate_interval"
OUT = pathlib.Path(__file__).parent / "dashboards"


def panel(title, exprs, unit, x, y, w=12, h=8, kind="timeseries", legend="{{topic}}"):
    targets = []
    for i, e in enumerate(exprs if isinstance(exprs, list) else [exprs]):
        expr, fmt = e if isinstance(e, tuple) else (e, legend)
        targets.append({"refId": chr(65 + i), "expr": expr, "legendFormat": fmt,
                        "datasource": {"type": "prometheus", "uid": "${datasource}"}})
    return {"type": kind, "title": title, "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "targets": targets}


def row(title, y):
    """A collapsible section header; the panels after it (until the next row) belong to it."""
    return {"type": "row", "title": title, "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "collapsed": False, "panels": []}


def variable(name, query):
    return {"name": name, "type": "query", "label": name,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": query, "refId": name}, "definition": query,
            "refresh": 2, "includeAll": False, "multi": False, "sort": 1}


def dashboard(uid, title, panels, variables=()):
    datasource = {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"}
    for i, p in enumerate(panels):
        p["id"] = i + 1
    return {"uid": uid, "title": title, "tags": ["strata"], "schemaVersion": 39, "version": 1,
            "time": {"from": "now-1h", "to": "now"}, "refresh": "10s",
            "templating": {"list": [datasource, *variables]}, "panels": panels}


TOPIC = variable("topic", "label_values(strata_partition_high_watermark, topic)")
GROUP = variable("group", "label_values(strata_group_lag, group)")

overview = dashboard("strata-overview", "strata / overview", [
    panel("Requests by method", f"sum by (method) (rate(strata_grpc_requests_total[{RATE}]))", "reqps", 0, 0, legend="{{method}}"),
    panel("Errors by code", f"sum by (code) (rate(strata_grpc_requests_total{{code!=\"OK\"}}[{RATE}]))", "reqps", 12, 0, legend="{{code}}"),
    panel("Latency p99 by method", f"histogram_quantile(0.99, sum by (le, method) (rate(strata_grpc_request_duration_seconds_bucket[{RATE}])))", "s", 0, 8, legend="{{method}}"),
    panel("Produce / fetch records", [(f"sum(rate(strata_produced_records_total[{RATE}]))", "produced"), (f"sum(rate(strata_fetched_records_total[{RATE}]))", "fetched")], "short", 12, 8),
    panel("Bytes in / out", [(f"sum(rate(strata_produced_bytes_total[{RATE}]))", "in"), (f"sum(rate(strata_fetched_bytes_total[{RATE}]))", "out")], "Bps", 0, 16),
    panel("Connections, streams, requests in flight", [("strata_connections_open", "connections"), ("strata_subscriptions_open", "subscriptions"), ("strata_grpc_requests_in_flight", "in flight")], "short", 12, 16),
    panel("Uptime", "strata_uptime_seconds", "s", 0, 24, w=6, kind="stat", legend="uptime"),
    panel("Build", "strata_build_info", "none", 6, 24, w=6, kind="stat", legend="{{version}}"),
    panel("Total consumer lag", "sum by (group) (strata_group_lag)", "short", 12, 24, legend="{{group}}"),
    panel("Idempotent producers held", [("strata_producer_ids", "producer ids"), ("strata_producer_partition_states", "partition windows")], "short", 0, 32),
    panel("Idempotent producer state memory", "strata_producer_state_bytes", "bytes", 12, 32, legend="estimated"),
    row("Kafka protocol", 40),
    panel("Kafka requests by API", f"sum by (api) (rate(strata_kafka_requests_total[{RATE}]))", "reqps", 0, 41, legend="{{api}}"),
    panel("Kafka error codes", f"sum by (error) (rate(strata_kafka_errors_total[{RATE}]))", "reqps", 12, 41, legend="{{error}}"),
    panel("Kafka latency p99 by API", f"histogram_quantile(0.99, sum by (le, api) (rate(strata_kafka_request_duration_seconds_bucket[{RATE}])))", "s", 0, 49, legend="{{api}}"),
    panel("Kafka connections", "strata_kafka_connections", "short", 12, 49, legend="open"),
])

topics = dashboard("strata-topics", "strata / topics", [
    panel("Produced records/s", f"sum by (topic) (rate(strata_produced_records_total{{topic=\"$topic\"}}[{RATE}]))", "short", 0, 0),
    panel("Produced bytes/s", f"sum by (topic) (rate(strata_produced_bytes_total{{topic=\"$topic\"}}[{RATE}]))", "Bps", 12, 0),
    panel("Fetched records/s", f"sum by (topic) (rate(strata_fetched_records_total{{topic=\"$topic\"}}[{RATE}]))", "short", 0, 8),
    panel("Fetched bytes/s", f"sum by (topic) (rate(strata_fetched_bytes_total{{topic=\"$topic\"}}[{RATE}]))", "Bps", 12, 8),
    panel("High watermark by partition", "strata_partition_high_watermark{topic=\"$topic\"}", "short", 0, 16, legend="p{{partition}}"),
    panel("Log start by partition", "strata_partition_log_start_offset{topic=\"$topic\"}", "short", 12, 16, legend="p{{partition}}"),
    panel("Size by partition", "strata_partition_size_bytes{topic=\"$topic\"}", "bytes", 0, 24, legend="p{{partition}}"),
    panel("Deleted by retention", [(f"sum(rate(strata_retention_deleted_records_total{{topic=\"$topic\"}}[{RATE}]))", "records/s"), (f"sum(rate(strata_retention_deleted_bytes_total{{topic=\"$topic\"}}[{RATE}]))", "bytes/s")], "short", 12, 24),
    panel("Idempotent retries answered and refused", [(f"sum(rate(strata_producer_duplicates_total{{topic=\"$topic\"}}[{RATE}]))", "duplicates answered"), (f"sum(rate(strata_producer_out_of_order_total{{topic=\"$topic\"}}[{RATE}]))", "out of order"), (f"sum(rate(strata_producer_fenced_total{{topic=\"$topic\"}}[{RATE}]))", "fenced")], "reqps", 0, 32, w=24),
], [TOPIC])

groups = dashboard("strata-consumer-groups", "strata / consumer groups", [
    panel("Lag by partition", "strata_group_lag{group=\"$group\"}", "short", 0, 0, legend="{{topic}}/{{partition}}"),
    panel("Lag by topic", "sum by (topic) (strata_group_lag{group=\"$group\"})", "short", 12, 0),
    panel("Committed offset by partition", "strata_group_committed_offset{group=\"$group\"}", "short", 0, 8, legend="{{topic}}/{{partition}}"),
    panel("Consumption rate (committed offsets/s)", f"sum by (topic) (deriv(strata_group_committed_offset{{group=\"$group\"}}[{RATE}]))", "short", 12, 8),
    panel("Members", "strata_group_members{group=\"$group\"}", "short", 0, 16, w=6, kind="stat", legend="members"),
], [GROUP])

storage = dashboard("strata-storage", "strata / storage", [
    panel("WAL fsync latency", [(f"histogram_quantile(0.5, sum by (le) (rate(strata_wal_sync_duration_seconds_bucket[{RATE}])))", "p50"), (f"histogram_quantile(0.99, sum by (le) (rate(strata_wal_sync_duration_seconds_bucket[{RATE}])))", "p99")], "s", 0, 0),
    panel("Requests per group commit", [(f"histogram_quantile(0.5, sum by (le) (rate(strata_commit_batch_requests_bucket[{RATE}])))", "p50"), (f"histogram_quantile(0.99, sum by (le) (rate(strata_commit_batch_requests_bucket[{RATE}])))", "p99")], "short", 12, 0),
    panel("Bytes per group commit (p50)", f"histogram_quantile(0.5, sum by (le) (rate(strata_commit_batch_bytes_bucket[{RATE}])))", "bytes", 0, 8, legend="p50"),
    panel("Memtables and SST files", [("strata_rocksdb_memtable_bytes", "memtables"), ("strata_rocksdb_sst_bytes", "SST files")], "bytes", 12, 8),
    panel("Pending compaction", "strata_rocksdb_pending_compaction_bytes", "bytes", 0, 16, legend="pending"),
    panel("Write stalls", [("strata_rocksdb_write_stopped", "stopped"), ("strata_rocksdb_delayed_write_rate_bytes", "delayed rate")], "short", 12, 16),
    panel("Retention: deleted bytes/s and last run", [(f"sum(rate(strata_retention_deleted_bytes_total[{RATE}]))", "deleted bytes/s"), ("strata_retention_last_run_duration_seconds", "last run (s)")], "short", 0, 24),
    panel("Corrupt batches (1h)", "sum(increase(strata_corrupt_batches_total[1h]))", "short", 12, 24, kind="stat", legend="corrupt"),
])

# Scraped from every broker of a cluster: `instance` tells brokers apart.
cluster = dashboard("strata-cluster", "strata / cluster", [
    panel("Leader per shard (as each broker sees it)", "strata_raft_leader", "none", 0, 0, legend="{{instance}} shard {{shard}}"),
    panel("Term per shard", "max by (shard) (strata_raft_term)", "none", 12, 0, legend="shard {{shard}}"),
    panel("Elections and hand-overs", [(f"sum by (shard) (increase(strata_raft_elections_total[{RATE}]))", "elections, shard {{shard}}"), (f"sum by (shard) (increase(strata_raft_leadership_transfers_received_total[{RATE}]))", "hand-overs, shard {{shard}}"), (f"sum by (reason) (increase(strata_raft_leadership_handed_over_total[{RATE}]))", "handed over: {{reason}}")], "short", 0, 8),
    panel("Brokers alive and in-sync replicas", [("max(strata_cluster_brokers_alive)", "brokers alive"), ("max by (shard) (strata_raft_in_sync_replicas)", "in sync, shard {{shard}}")], "short", 12, 8),
    panel("Follower lag (entries)", "max by (shard, follower) (strata_raft_follower_lag_entries)", "short", 0, 16, legend="broker {{follower}}, shard {{shard}}"),
    panel("Follower lag (bytes)", "max by (shard, follower) (strata_raft_follower_lag_bytes)", "bytes", 12, 16, legend="broker {{follower}}, shard {{shard}}"),
    panel("Under-replicated partitions", "sum(strata_under_replicated_partitions)", "short", 0, 24, w=6, kind="stat", legend="under-replicated"),
    panel("Leaders", "sum by (instance) (strata_raft_is_leader)", "short", 6, 24, w=6, legend="{{instance}}"),
    panel("Applied behind committed (entries)", "strata_raft_committed_index - strata_raft_applied_index", "short", 12, 24, legend="{{instance}} shard {{shard}}"),
    panel("Raft log index", [("strata_raft_last_log_index", "last {{instance}}"), ("strata_raft_committed_index", "committed {{instance}}"), ("strata_raft_purged_index", "trimmed to {{instance}}")], "short", 0, 32, w=24),
    panel("Data dir free space", "min by (instance) (strata_data_dir_available_bytes)", "bytes", 0, 40, w=12, legend="{{instance}}"),
    panel("Shard copies stopped on their own", "sum(strata_raft_shard_stopped)", "short", 12, 40, w=6, kind="stat", legend="stopped"),
    panel("Brokers below --min-free-disk", "sum(strata_disk_low)", "short", 18, 40, w=6, kind="stat", legend="low on disk"),
    panel("Brokers joining, and data dir copies", [("max by (shard) (strata_raft_learners)", "joining, shard {{shard}}"), (f"sum by (direction) (increase(strata_data_dir_copies_total[{RATE}]))", "copies {{direction}}")], "short", 0, 48),
    panel("Shard copies (snapshots) sent and received", f"sum by (shard, direction) (increase(strata_raft_snapshots_total[{RATE}]))", "short", 12, 48, legend="shard {{shard}} {{direction}}"),
])

for name, board in [("overview", overview), ("topics", topics), ("consumer-groups", groups), ("storage", storage), ("cluster", cluster)]:
    (OUT / f"{name}.json").write_text(json.dumps(board, indent=2) + "\n")
