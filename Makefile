# strata — the two commands: `make run` and `make test`.
#
# One target dir shared by every checkout (RocksDB's C++ build takes ~30 minutes on two cores;
# pay it once) and one cargo profile (release) for build, run, test, clippy and bench, so the
# C++ build is not paid again for a second profile either.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/strata/target
CARGO ?= cargo
DATA_DIR ?= ./data
BIN := $(CARGO_TARGET_DIR)/release/strata

.PHONY: deps build run cluster test fmt fix lint unit bench bench-cluster bench-retention bench-rebalance bench-scale crash-test cluster-crash-test fuzz clean-data

deps:
	@./.ci/install-deps
	@./.ci/vendor-mtimes

## `--tests` too: dev-dependencies change some crates' features, so a plain `cargo build` would
## build a second copy of every dependency, RocksDB included, beside the one `make test` uses.
build: deps
	$(CARGO) build --release --bins --tests

## Build and start the broker with data in ./data: gRPC on 127.0.0.1:9392, the Kafka protocol
## on 127.0.0.1:9092.
run: build
	$(BIN) serve --data-dir $(DATA_DIR)

## A local cluster of BROKERS (default 3) on ports 9392, 9402, 9412 (peers one above, metrics
## two above, Kafka clients three above), data in ./data/cluster; Ctrl-C stops every broker.
BROKERS ?= 3
cluster: build
	$(BIN) dev-cluster --brokers $(BROKERS) --data-dir $(DATA_DIR)/cluster

## Formatting, lints and every test.
test: deps fmt lint unit

fmt:
	$(CARGO) fmt --check

## Format, and apply clippy's machine-applicable fixes (review the diff before committing).
fix:
	$(CARGO) fmt
	$(CARGO) clippy --release --all-targets --fix --allow-dirty --allow-staged -- -D warnings
	$(CARGO) fmt

lint:
	$(CARGO) clippy --release --all-targets -- -D warnings

unit:
	$(CARGO) test --release

## Micro-benchmarks, then produce throughput and latency next to Redis Streams, NATS JetStream
## and the disk (the peers come from Debian's packages; one that cannot be installed is skipped),
## idempotent against plain producers, the time a restart takes to load producer state, and
## the Kafka protocol (kcat) beside gRPC (the strata CLI).
bench: deps
	./.ci/install-deps redis-server nats-server || echo "peers could not be installed; the benchmark skips them"
	$(CARGO) bench --profile release --bench micro
	$(CARGO) bench --profile release --bench produce
	$(CARGO) bench --profile release --bench producer_recovery
	$(CARGO) bench --profile release --bench kafka

## Three brokers against one in the same run (1 KiB records, acks ALL, --fsync always, 30
## partitions): throughput ratio, ack latency at 10 MiB/s, failover time over 20 leader kills.
bench-cluster: deps
	$(CARGO) bench --profile release --bench cluster

## Fill a partition with ~500 MB, trim it to ~50 MB by retention, print the data dir sizes.
bench-retention: deps
	$(CARGO) bench --profile release --bench retention_disk

## Time from JoinGroup to a balanced, stable group (cooperative hand-off).
bench-rebalance: deps
	$(CARGO) bench --profile release --bench rebalance

## 10 topics x 1,000 partitions: creation time, RSS, restart, spread-out throughput, delete.
bench-scale: deps
	$(CARGO) bench --profile release --bench scale

## 100 kill -9 cycles per fsync mode, with a Jepsen-style check of the history (anomalies must be 0).
crash-test: deps
	STRATA_CRASH_CYCLES=$${STRATA_CRASH_CYCLES:-100} $(CARGO) test --release --test it crash:: -- --nocapture --test-threads 1

## 50 fault cycles on a three-broker cluster (kill -9 of the leader, of all three, SIGSTOP of the
## leader, kill -9 of a follower) under idempotent producers, a reader and a committer; a
## Jepsen-style check of the history and a byte-for-byte comparison of the replicas.
cluster-crash-test: deps
	STRATA_CLUSTER_CRASH_CYCLES=$${STRATA_CLUSTER_CRASH_CYCLES:-50} $(CARGO) test --release --test it cluster_crash -- --nocapture --test-threads 1

## Fuzz the stored-batch, key and Kafka-request decoders, FUZZ_SECS (default 60) each, with cargo-fuzz on the
## nightly toolchain (installed if missing). A crash stops it and leaves the input in
## fuzz/artifacts/; turn each into a regression test next to the code it broke.
FUZZ_SECS ?= 60
fuzz: deps
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
	cd fuzz && for target in batch_decode key_decode kafka_request; do \
		CARGO_TARGET_DIR=$(HOME)/.cache/strata/fuzz-target cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECS) || exit 1; \
	done

clean-data:
	rm -rf $(DATA_DIR)
