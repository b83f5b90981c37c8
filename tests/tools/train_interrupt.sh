# train_interrupt.sh — sourced by the CLI tests that interrupt a training command and resume it
# (tests/cli/test_reader_resume.sh, test_mlm_train.sh): one way to count a run's logged steps
# and to signal it at a chosen step, so each test states only its command and what must hold.
# The caller's EXIT trap kills $pid, which is set while a run is in the background.

# The training steps logged so far in the JSON-lines log $1 (0 before it exists): the trainer's
# step lines, never its evaluation lines.
train_steps() { if [ -f "$1" ]; then grep -c '"grad_norm"' "$1" || true; else echo 0; fi; }

# Wait (at most 60 s) until the log $1 holds at least $2 steps.
wait_steps() {
    i=0
    while [ "$(train_steps "$1")" -lt "$2" ]; do
        i=$((i + 1))
        [ $i -lt 1200 ] || { echo "timed out waiting for step $2 in $1" >&2; exit 1; }
        sleep 0.05
    done
}

# interrupt_at SIGNAL STEPS LOG COMMAND...: run COMMAND in the background, send SIGNAL once LOG
# holds STEPS steps, and wait; its exit status is left in $st.
interrupt_at() {
    sig=$1 at=$2 log=$3
    shift 3
    "$@" &
    pid=$!
    wait_steps "$log" "$at"
    kill -"$sig" $pid
    st=0
    wait $pid || st=$?
    pid=
}
