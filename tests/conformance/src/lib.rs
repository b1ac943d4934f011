//! threadyard's conformance suite: every case is a plain function that panics
//! on failure, so the same code runs under `cargo test` natively and under
//! wasm-bindgen-test in a browser's dedicated worker. Harnesses call
//! [`for_each_case!`] to get one test per case.
//!
//! Cases never sleep to wait for something: they wait on the event itself
//! (a state change, a message on a channel) with a generous deadline.

#![allow(missing_docs)]

pub mod support;

pub mod activity;
pub mod adversary;
pub mod asynchronous;
pub mod bad_input;
pub mod broadcast;
pub mod failures;
pub mod lifecycle;
pub mod mailbox;
pub mod metrics;
pub mod parallel;
pub mod pause;
pub mod seams;
pub mod shutdown;
pub mod stepped;
pub mod timestamps;
pub mod workloads;

/// Calls `$harness! { module::case, ... }` with every async case of the suite.
#[macro_export]
macro_rules! for_each_async_case {
    ($harness:ident) => {
        $harness! {
            asynchronous::shutdown_async_waits_for_every_worker,
            asynchronous::shutdown_async_reports_at_its_deadline,
            asynchronous::changed_resolves_on_the_next_state_change,
        }
    };
}

/// Calls `$harness! { module::case, ... }` with every case of the suite.
#[macro_export]
macro_rules! for_each_case {
    ($harness:ident) => {
        $harness! {
            lifecycle::create_then_start_runs_the_task,
            lifecycle::spawn_is_create_and_start,
            lifecycle::invalid_transitions_change_nothing,
            lifecycle::transitions_are_recorded_as_events,
            timestamps::timestamps_never_go_backwards_across_threads,
            lifecycle::stopping_an_unstarted_worker_stops_it,
            lifecycle::capacity_is_enforced_and_released,
            pause::pause_is_acknowledged_at_the_next_pause_point,
            pause::paused_worker_makes_no_progress_while_others_do,
            pause::resume_wakes_a_paused_worker,
            pause::worker_can_pause_itself_on_a_message,
            pause::pause_is_acknowledged_while_blocked_in_receive,
            pause::resume_withdraws_a_pending_request,
            pause::stop_wakes_a_paused_worker,
            pause::paused_worker_waits_without_polling,
            pause::wakeups_count_returns_from_waits,
            parallel::two_workers_progress_at_the_same_time,
            mailbox::full_mailbox_refuses_and_returns_the_message,
            mailbox::send_timeout_waits_for_room,
            mailbox::send_timeout_gives_up_at_the_deadline,
            mailbox::messages_arrive_in_order_per_sender,
            mailbox::control_is_never_blocked_by_a_full_mailbox,
            mailbox::receive_variants,
            mailbox::workers_message_each_other,
            mailbox::any_message_type_works,
            broadcast::reaches_every_live_worker_with_a_report,
            metrics::counts_tasks_pauses_and_time,
            metrics::snapshot_serializes_with_the_documented_fields,
            metrics::finished_workers_stay_until_removed,
            failures::panic_marks_only_that_worker_failed,
            failures::returned_error_fails_the_worker,
            failures::restart_policy_restarts_then_gives_up,
            failures::recorded_errors_are_counted,
            shutdown::with_no_workers,
            shutdown::wakes_paused_and_receiving_workers,
            shutdown::reports_unresponsive_workers_by_the_deadline,
            shutdown::counts_undelivered_messages,
            shutdown::refuses_new_work_afterwards,
            shutdown::drop_shuts_down,
            stepped::a_schedule_replays_identically_100_times,
            stepped::the_lost_update_schedule_loses_an_update_and_says_why,
            stepped::the_explorer_finds_a_lost_update_and_a_deadlock_within_100,
            stepped::the_fixed_lessons_survive_1000_random_schedules,
            stepped::a_learner_grants_steps_and_sees_next_operations,
            stepped::the_detector_names_two_and_three_worker_lock_cycles,
            stepped::the_detector_names_two_and_three_worker_mailbox_cycles,
            stepped::the_detector_is_silent_on_long_waits_that_are_not_cycles,
            bad_input::ids,
            bad_input::unknown_ids,
            bad_input::capacities,
            bad_input::huge_and_zero_timeouts,
            workloads::every_workload_obeys_the_seed_messages,
            workloads::cpu_bound_completes_items_and_chatty_talks_to_peers,
            workloads::workload_specs_are_checked,
            workloads::producer_waits_for_room_and_drops_nothing,
            workloads::flaky_panics_and_is_restarted_by_its_policy,
            workloads::pace_is_checked_and_shared,
            workloads::a_paced_worker_never_catches_up_after_a_pause,
            workloads::a_held_pace_holds_its_workloads_where_they_are,
            activity::a_worker_in_recv_is_waiting_for_a_message,
            activity::a_worker_in_a_blocked_send_is_waiting_for_room,
            activity::a_worker_in_a_blocking_call_is_sleeping_not_busy,
            activity::a_worker_blocked_on_a_held_lock_is_waiting_for_a_lock,
            activity::a_workers_waits_are_slices_of_its_activity_track_in_the_trace,
            adversary::a_predicate_may_call_back_into_the_manager,
            adversary::a_subscriber_may_send_to_the_worker_that_logs,
            adversary::a_refused_task_is_dropped_with_no_lock_held,
            adversary::a_panic_payload_that_panics_when_dropped_still_fails_the_worker,
            adversary::a_task_whose_captures_panic_when_dropped_still_ends,
            adversary::shutdown_from_inside_a_worker_does_not_wait_for_it,
            adversary::dropping_the_last_handle_inside_a_worker_does_not_wait_for_it,
            adversary::no_send_is_accepted_once_shutdown_is_seen,
            adversary::no_send_is_accepted_once_a_stop_is_seen,
            adversary::unread_messages_are_dropped_before_the_end_is_published,
            adversary::a_message_clone_may_call_back_into_the_manager,
            adversary::a_waker_may_call_back_into_the_manager,
            adversary::a_broken_spawner_fails_the_worker,
            seams::a_wait_that_never_blocks_is_not_an_edge,
            seams::a_wait_that_blocks_is_an_edge_while_it_lasts,
            seams::a_lock_belongs_to_the_incarnation_that_took_it,
            seams::a_holder_that_dies_poisons_the_lock_and_ends_its_waiters_wait,
            seams::a_stepped_run_whose_holder_ends_holding_a_lock_finishes,
            seams::nested_activities_keep_the_accounting_identity_and_nest_in_the_trace,
            bad_input::restart_policies,
            bad_input::thread_limits,
        }
    };
}
