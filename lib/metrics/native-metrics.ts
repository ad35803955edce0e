/**
 * The series names ZooKeeper 3.8's native Prometheus provider exports, so that alert rules, the
 * dashboard and the mntr exporter (lib/scripts/zookeeper-exporter.py) can be checked against the
 * names a real provider serves.
 *
 * Read from Apache ZooKeeper 3.8 (zookeeper-server/src/main/java/org/apache/zookeeper/):
 * - server/ServerMetrics.java: every counter, summary and summary set, with its detail level;
 * - server/ZooKeeperServer.java registerMetrics: the gauges of every serving server;
 * - server/quorum/QuorumZooKeeperServer.java registerMetrics: quorum_size (not on a standalone server);
 * - server/quorum/LeaderZooKeeperServer.java registerMetrics: the leader's gauges. Follower and
 *   observer servers add no gauge of their own in 3.8.0 (a recorded follower's mntr has none);
 * - zookeeper-metrics-providers/zookeeper-prometheus-metrics/.../PrometheusMetricsProvider.java:
 *   how they become series. With simpleclient 0.9 a counter keeps its name (no `_total`), a summary
 *   is `X_count` and `X_sum`, a DetailLevel.ADVANCED one also `X{quantile="0.5"|"0.9"|"0.99"}`, and a
 *   summary set carries a `key` label.
 * And from prometheus/client_java simpleclient_hotspot 0.9 (DefaultExports: StandardExports,
 * MemoryPoolsExports, MemoryAllocationExports, BufferPoolsExports, GarbageCollectorExports,
 * ThreadExports, ClassLoadingExports, VersionInfoExports), registered by `exportJvmInfo=true`.
 *
 * Cross-checked with the mntr of Debian's 3.8.0 (test/fixtures/mntr), which lists every counter and
 * summary by its provider name: it adds observer_sync_time (ZOOKEEPER-4284) to the ServerMetrics
 * read above and has nothing this list lacks.
 */

/** Summaries at DetailLevel.BASIC: `X_count` and `X_sum` only. */
const BASIC_SUMMARIES = [
  'commit_commit_proc_req_queued', 'commit_process_time',
  'concurrent_request_processing_in_commit_processor', 'connection_token_deficit', 'dbinittime', 'election_time',
  'follower_sync_time', 'fsynctime', 'inflight_diff_count', 'inflight_snap_count', 'leader_unavailable_time',
  'learner_request_processor_queue_size', 'netty_queued_buffer_capacity', 'node_changed_watch_count',
  'node_children_watch_count', 'node_created_watch_count', 'node_deleted_watch_count', 'observer_sync_time',
  'pending_session_queue_size', 'prep_process_time', 'prep_processor_queue_size', 'proposal_process_time',
  'read_commit_proc_issued', 'read_commit_proc_req_queued', 'reads_after_write_in_session_queue',
  'reads_issued_from_session_queue', 'requests_in_session_queue', 'session_queues_drained', 'snapshottime',
  'socket_closing_time', 'startup_snap_load_time', 'startup_txns_load_time', 'startup_txns_loaded',
  'sync_process_time', 'sync_processor_batch_size', 'sync_processor_queue_size',
  'time_waiting_empty_pool_in_commit_processor_read_ms', 'unavailable_time', 'write_batch_time_in_commit_processor',
  'write_commit_proc_issued', 'write_commit_proc_req_queued',
] as const;

/** Summaries at DetailLevel.ADVANCED: also the quantile series under the base name. */
const ADVANCED_SUMMARIES = [
  'close_session_prep_time', 'commit_propagation_latency', 'dead_watchers_cleaner_latency', 'jvm_pause_time_ms', 'local_write_committed_time_ms',
  'om_commit_process_time_ms', 'om_proposal_process_time_ms', 'prep_processor_queue_time_ms', 'propagation_latency',
  'proposal_ack_creation_latency', 'proposal_latency', 'quorum_ack_latency', 'read_commitproc_time_ms',
  'read_final_proc_time_ms', 'readlatency', 'request_throttle_queue_time_ms', 'server_write_committed_time_ms',
  'sync_processor_queue_and_flush_time_ms', 'sync_processor_queue_flush_time_ms', 'sync_processor_queue_time_ms',
  'updatelatency', 'write_commitproc_time_ms', 'write_final_proc_time_ms',
] as const;

/** Summary sets, labelled `key` (a namespace, or a peer's server id); mntr prints `zk_avg_<key>_<name>`. */
export const SUMMARY_SET_NAMES = [
  'ack_latency', 'learner_handler_qp_size', 'learner_handler_qp_time_ms', 'read_per_namespace', 'write_per_namespace',
] as const;
const ADVANCED_SUMMARY_SETS: readonly (typeof SUMMARY_SET_NAMES)[number][] = ['ack_latency', 'learner_handler_qp_time_ms'];

const COUNTERS = [
  'add_dead_watcher_stall_time', 'bytes_received_count', 'cnxn_closed_without_zk_server_running', 'commit_count',
  'connection_drop_count', 'connection_rejected', 'connection_request_count', 'connection_revalidate_count',
  'dead_watchers_cleared', 'dead_watchers_queued', 'diff_count', 'digest_mismatches_count', 'ensemble_auth_fail',
  'ensemble_auth_skip', 'ensemble_auth_success', 'insecure_admin_count', 'large_requests_rejected',
  'learner_commit_received_count', 'learner_proposal_received_count', 'looking_count', 'outstanding_changes_queued',
  'outstanding_changes_removed', 'prep_processor_request_queued', 'proposal_count', 'quit_leading_due_to_disloyal_voter',
  'request_commit_queued', 'request_throttle_wait_count', 'requests_not_forwarded_to_commit_processor',
  'response_bytes', 'response_packet_cache_hits', 'response_packet_cache_misses',
  'response_packet_get_children_cache_hits', 'response_packet_get_children_cache_misses', 'revalidate_count',
  'sessionless_connections_expired', 'skip_learner_request_to_next_processor_count', 'snap_count', 'stale_replies',
  'stale_requests', 'stale_requests_dropped', 'stale_sessions_expired', 'sync_processor_request_queued',
  'throttled_ops', 'tls_handshake_exceeded', 'unrecoverable_error_count', 'unsuccessful_handshake', 'watch_bytes',
] as const;

/** ZooKeeperServer's gauges: present while the server serves, whatever its role. */
const SERVER_GAUGES = [
  'approximate_data_size', 'auth_failed_count', 'avg_latency', 'connection_drop_probability', 'ephemerals_count',
  'global_sessions', 'last_client_response_size', 'local_sessions', 'max_client_response_size',
  'max_file_descriptor_count', 'max_latency', 'min_client_response_size', 'min_latency', 'non_mtls_local_conn_count',
  'non_mtls_remote_conn_count', 'num_alive_connections', 'open_file_descriptor_count', 'outstanding_requests',
  'outstanding_tls_handshake', 'packets_received', 'packets_sent', 'uptime', 'watch_count', 'znode_count',
] as const;

/** Registered by QuorumZooKeeperServer: leaders, followers and observers, never a standalone server. */
export const QUORUM_ONLY_METRIC_NAMES = ['quorum_size'] as const;

/**
 * LeaderZooKeeperServer's gauges: exported by the leader alone, so `count(leader_uptime)` is the
 * number of leaders. (Releases where followers host observers may also register synced_observers
 * on such a follower; 3.8.0's followers do not.)
 */
export const LEADER_ONLY_METRIC_NAMES = [
  'last_proposal_size', 'leader_uptime', 'learners', 'max_proposal_size', 'min_proposal_size', 'pending_syncs',
  'synced_followers', 'synced_non_voting_followers', 'synced_observers',
] as const;
export type LeaderOnlyMetricName = (typeof LEADER_ONLY_METRIC_NAMES)[number];

/** simpleclient_hotspot 0.9's DefaultExports (the provider's exportJvmInfo, on by default). */
export const JVM_METRIC_NAMES = [
  'process_cpu_seconds_total', 'process_max_fds', 'process_open_fds', 'process_resident_memory_bytes',
  'process_start_time_seconds', 'process_virtual_memory_bytes',
  'jvm_memory_bytes_committed', 'jvm_memory_bytes_init', 'jvm_memory_bytes_max', 'jvm_memory_bytes_used',
  'jvm_memory_pool_bytes_committed', 'jvm_memory_pool_bytes_init', 'jvm_memory_pool_bytes_max',
  'jvm_memory_pool_bytes_used', 'jvm_memory_pool_allocated_bytes_total',
  'jvm_buffer_pool_capacity_bytes', 'jvm_buffer_pool_used_buffers', 'jvm_buffer_pool_used_bytes',
  'jvm_gc_collection_seconds_count', 'jvm_gc_collection_seconds_sum',
  'jvm_threads_current', 'jvm_threads_daemon', 'jvm_threads_deadlocked', 'jvm_threads_deadlocked_monitor',
  'jvm_threads_peak', 'jvm_threads_started_total', 'jvm_threads_state',
  'jvm_classes_loaded', 'jvm_classes_loaded_total', 'jvm_classes_unloaded_total',
  'jvm_info',
] as const;

const summarySeries = (name: string, advanced: boolean): string[] => [`${name}_count`, `${name}_sum`, ...(advanced ? [name] : [])];

/** Every series name (the name before `{`) the 3.8 provider can export. */
export const NATIVE_METRIC_NAMES: ReadonlySet<string> = new Set([
  ...BASIC_SUMMARIES.flatMap((name) => summarySeries(name, false)),
  ...ADVANCED_SUMMARIES.flatMap((name) => summarySeries(name, true)),
  ...SUMMARY_SET_NAMES.flatMap((name) => summarySeries(name, ADVANCED_SUMMARY_SETS.includes(name))),
  ...COUNTERS,
  ...SERVER_GAUGES,
  ...QUORUM_ONLY_METRIC_NAMES,
  ...LEADER_ONLY_METRIC_NAMES,
  ...JVM_METRIC_NAMES,
]);
