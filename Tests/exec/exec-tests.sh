#!/usr/bin/env bash
# Tests of argosy-exec, the step supervisor of Argosy's local runtime.
#
#   Tests/exec/exec-tests.sh /path/to/argosy-exec
#
# Build it first, e.g.:
#   gcc -std=gnu11 -Wall -Wextra -Werror -O2 -o /tmp/argosy-exec Sources/ArgosyExec/*.c
#
# The sandbox tests need mount namespaces: run as root, or as a user allowed to create
# user namespaces. Every step directory lives under one temporary directory under
# /tmp, which the sandbox hides from the step: that is part of what is tested.
set -euo pipefail

BIN=${1:?usage: exec-tests.sh /path/to/argosy-exec}
[[ -x $BIN ]] || { echo "not an executable: $BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd) # serve_client.py, the controller's side of --serve

ROOT=$(mktemp -d /tmp/argosy-exec-tests.XXXXXX)
chmod 755 "$ROOT" # the unprivileged test runs a step as nobody in here
BG_PIDS=()
PROBES=() # host paths a step must not create; removed if a broken sandbox leaked them
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${PROBES[@]}"; do rm -rf "$p"; done
    rm -rf "$ROOT"
}
trap cleanup EXIT

CURRENT=""
trap 'echo "FAIL [$CURRENT]: unexpected error at line $LINENO: $BASH_COMMAND" >&2' ERR

passed=0
failed=0
TEST_OK=1

# ---- helpers ---------------------------------------------------------------

fail() {
    echo "  FAIL [$CURRENT] $*" >&2
    TEST_OK=0
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    if [[ $2 != "$3" ]]; then
        fail "$1: expected $(printf %q "$2"), got $(printf %q "$3")"
    fi
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
    if [[ $3 != *"$2"* ]]; then
        fail "$1: expected to contain $(printf %q "$2"), got $(printf %q "$3")"
    fi
}

# expect_file_bytes WHAT FILE EXPECTED-BYTES (printf format): byte-exact comparison
expect_file_bytes() {
    local want="$ROOT/expected.$$"
    # shellcheck disable=SC2059
    printf "$3" >"$want"
    if [[ ! -f $2 ]]; then
        fail "$1: $2 does not exist"
    elif ! cmp -s "$want" "$2"; then
        fail "$1: $2 is $(od -c "$2" | head -5 | tr '\n' ' '), expected $(od -c "$want" | head -5 | tr '\n' ' ')"
    fi
    rm -f "$want"
}

# read_file FILE: its content ("" and a failure if missing)
read_file() {
    if [[ -f $1 ]]; then cat "$1"; else echo "<missing $1>"; fi
}

new_step() { mktemp -d "$ROOT/step.XXXXXX"; }

# exit_record STEPDIR: the JSON of the `exit` line of STEPDIR/status.
exit_record() {
    local line
    line=$(grep '^exit ' "$1/status" 2>/dev/null) || { echo "<no exit record in $1/status>"; return; }
    echo "${line#exit }"
}

# run STEPDIR [OPTIONS] -- PROGRAM...: run the supervisor, set RC (never aborts).
run() {
    local dir=$1
    shift
    RC=0
    "$BIN" --dir "$dir" "$@" || RC=$?
}

# wait_for_file FILE: up to 5 s.
wait_for_file() {
    local i
    for ((i = 0; i < 500; i++)); do
        [[ -s $1 ]] && return 0
        sleep 0.01
    done
    fail "timed out waiting for $1"
    return 1
}

# step_pid STEPDIR: the step's pid (the `step` line of STEPDIR/status) once the supervisor wrote it.
step_pid() {
    local i pid
    for ((i = 0; i < 500; i++)); do
        pid=$(sed -n 's/^step //p' "$1/status" 2>/dev/null)
        [[ -n $pid ]] && { echo "$pid"; return 0; }
        sleep 0.01
    done
    fail "timed out waiting for the step's pid in $1/status"
    return 1
}

# alive PID: true while PID exists and is not a zombie.
alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}

# wait_gone PID: up to 5 s for PID to end.
wait_gone() {
    local i
    for ((i = 0; i < 500; i++)); do
        alive "$1" || return 0
        sleep 0.01
    done
    return 1
}

run_test() {
    CURRENT=$1
    TEST_OK=1
    "$1"
    if ((TEST_OK)); then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1"
    fi
}

# ---- tests -----------------------------------------------------------------

test_exit_code_and_record() {
    local s
    s=$(new_step)
    run "$s" -- sh -c 'exit 7'
    expect_eq "supervisor exit code" 7 "$RC"
    expect_eq "exit record" '{"exitCode":7}' "$(exit_record "$s")"
    s=$(new_step)
    run "$s" -- true
    expect_eq "exit code of true" 0 "$RC"
    expect_eq "exit record of true" '{"exitCode":0}' "$(exit_record "$s")"
    # no temporary file is left behind, and a step that printed nothing got no log files
    local files
    files=$(cd "$s" && echo *)
    expect_eq "files of a silent step" "status" "$files"
}

test_pid_files_and_process_group() {
    local s
    s=$(new_step)
    # field 5 of /proc/PID/stat is the process group ("(sh)" has no space in it)
    run "$s" -- sh -c 'read -r pid comm state ppid pgrp rest </proc/$$/stat; echo "$$ $pgrp $ppid"'
    expect_eq "exit code" 0 "$RC"
    local pid pgrp ppid
    read -r pid pgrp ppid <"$s/stdout"
    expect_file_bytes "status: the supervisor's pid, the step's, the exit record" "$s/status" \
        "supervisor $ppid\nstep $pid\nexit {\"exitCode\":0}\n"
    expect_eq "step is its process group's leader" "$pid" "$pgrp"
}

# Signals ignored by whoever started the supervisor (nohup, a background job) are not
# ignored in the step, and none is blocked: the step starts as a pod's process would.
test_step_signals_are_default() {
    local s
    s=$(new_step)
    RC=0
    (
        trap '' INT QUIT USR1 HUP RTMIN+1
        run "$s" -- sh -c 'grep -E "^Sig(Ign|Blk)" /proc/self/status'
        exit "$RC"
    ) || RC=$?
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "nothing ignored or blocked" "$s/stdout" \
        "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
}

test_log_and_stdout_separation() {
    local s
    s=$(new_step)
    # The pauses make the order of arrival unambiguous across the two pipes.
    run "$s" -- sh -c 'echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; sleep 0.05;
                       printf "err2 no newline" >&2; sleep 0.05; printf "out3"'
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "log (merged, in order)" "$s/log" 'out1\nerr1\nout2\nerr2 no newlineout3'
    expect_file_bytes "stdout (stdout only)" "$s/stdout" 'out1\nout2\nout3'
}

test_output_is_byte_exact() {
    local s
    s=$(new_step)
    run "$s" -- sh -c 'printf "a\000b\377\r\n"; head -c 300000 /dev/zero | tr "\000" x'
    expect_eq "exit code" 0 "$RC"
    local size
    size=$(stat -c %s "$s/stdout")
    expect_eq "stdout size" 300006 "$size"
    expect_eq "stdout head" "$(printf 'a\000b\377\r\n' | od -c)" "$(head -c 6 "$s/stdout" | od -c)"
    cmp -s "$s/stdout" "$s/log" || fail "log differs from stdout for a stdout-only step"
}

test_missing_program() {
    local s
    s=$(new_step)
    run "$s" -- argosy-no-such-program-xyz --flag
    expect_eq "exit code" 127 "$RC"
    expect_eq "exit record" '{"exitCode":127,"error":"exec: no such program: argosy-no-such-program-xyz"}' \
        "$(exit_record "$s")"
    s=$(new_step)
    run "$s" -- ./argosy-no-such-program-xyz
    expect_eq "exit code (path)" 127 "$RC"
    expect_contains "exit record (path)" '"error":"exec: no such program: ./argosy-no-such-program-xyz"' \
        "$(exit_record "$s")"
}

test_not_executable() {
    local s
    s=$(new_step)
    printf 'echo hi\n' >"$s/x"
    chmod 644 "$s/x"
    run "$s" -- "$s/x"
    expect_eq "exit code" 126 "$RC"
    expect_contains "exit record" "\"error\":\"exec: permission denied: $s/x\"" "$(exit_record "$s")"
    s=$(new_step)
    printf '#!/nonexistent/interpreter\necho hi\n' >"$s/y"
    chmod 755 "$s/y"
    run "$s" -- "$s/y"
    expect_eq "exit code (bad interpreter)" 126 "$RC"
    expect_contains "exit record (bad interpreter)" "bad interpreter" "$(exit_record "$s")"
}

test_json_escaping() {
    local s
    s=$(new_step)
    run "$s" -- "$(printf 'no"such\\prog\tx\001\377')"
    expect_eq "exit code" 127 "$RC"
    expect_eq "escaped error" \
        '{"exitCode":127,"error":"exec: no such program: no\"such\\prog\tx\u0001\ufffd"}' \
        "$(exit_record "$s")"
}

# With --name, the steps of a workflow share the directory (a controller's layout).
test_name_prefixes_files() {
    local s files sup
    s=$(new_step)
    echo "pod-1 claim" >"$s/status" # the controller's line, written before it starts the step
    run "$s" --name pod-1 --sandbox --output out=/tmp/o -- sh -c 'echo data > /tmp/o; echo hi; echo oops >&2'
    expect_eq "exit code" 0 "$RC"
    run "$s" --name pod-2 -- true
    expect_eq "exit code of a silent step" 0 "$RC"
    files=$(cd "$s" && echo *)
    expect_eq "files (none for the silent step)" "pod-1.log pod-1.outputs pod-1.stdout status" "$files"
    expect_file_bytes "stdout" "$s/pod-1.stdout" 'hi\n'
    expect_file_bytes "log" "$s/pod-1.log" 'hi\noops\n'
    expect_file_bytes "output" "$s/pod-1.outputs/out" 'data\n'
    sup=$(sed -n 's/^pod-1 supervisor //p' "$s/status")
    [[ $sup =~ ^[0-9]+$ ]] || fail "no supervisor line for pod-1 in $(cat "$s/status")"
    expect_eq "pod-1's lines" "pod-1 claim|pod-1 supervisor|pod-1 step|pod-1 exit {\"exitCode\":0}" \
        "$(grep '^pod-1 ' "$s/status" | sed -E 's/ [0-9]+$//' | paste -sd '|')"
    expect_eq "pod-2's exit record" 'pod-2 exit {"exitCode":0}' "$(grep '^pod-2 exit' "$s/status")"
    for bad in '' '../x' 'a/b' '.hidden'; do
        s=$(new_step)
        run "$s" --name "$bad" -- true
        expect_eq "exit code (--name '$bad')" 125 "$RC"
        expect_contains "exit record (--name '$bad')" 'must be a plain file name' "$(exit_record "$s")"
    done
}

# The exit record is fsynced; with --sync-dir (the controller just made STEPDIR and its
# status file) STEPDIR is fsynced too, after the record; a step that made files syncs
# STEPDIR before its record names them.
test_durable_records() {
    local s
    s=$(new_step)
    echo "a claim" >"$s/status"
    strace -f -qq -e trace=fsync -o "$ROOT/fsyncs.a" "$BIN" --dir "$s" --name a -- true
    expect_eq "fsyncs of a silent step" 1 "$(grep -c 'fsync(' "$ROOT/fsyncs.a")"
    strace -f -qq -e trace=fsync -o "$ROOT/fsyncs.b" "$BIN" --dir "$s" --name b --sync-dir -- true
    expect_eq "fsyncs with --sync-dir" 2 "$(grep -c 'fsync(' "$ROOT/fsyncs.b")"
    strace -f -qq -e trace=fsync -o "$ROOT/fsyncs.c" "$BIN" --dir "$s" --name c --sync-dir -- echo hi
    expect_eq "fsyncs of a step that printed (stdout, folder, record)" 3 "$(grep -c 'fsync(' "$ROOT/fsyncs.c")"
    expect_eq "records" 3 "$(grep -c ' exit {"exitCode":0}$' "$s/status")"
}

test_output_from_private_tmp() {
    local s marker
    s=$(new_step)
    marker="/tmp/argosy-exec-test-$$-$RANDOM"
    run "$s" --sandbox --output result="$marker" --output tree=/tmp/tree -- sh -c "
        echo 'hello output' > $marker
        mkdir -p /tmp/tree/sub && echo leaf > /tmp/tree/sub/leaf && echo top > /tmp/tree/top
        ln -s /etc/passwd /tmp/tree/link"
    expect_eq "exit code" 0 "$RC"
    expect_eq "exit record" '{"exitCode":0}' "$(exit_record "$s")"
    expect_file_bytes "copied output" "$s/outputs/result" 'hello output\n'
    expect_file_bytes "copied directory: nested file" "$s/outputs/tree/sub/leaf" 'leaf\n'
    expect_file_bytes "copied directory: top file" "$s/outputs/tree/top" 'top\n'
    [[ ! -e $s/outputs/tree/link && ! -L $s/outputs/tree/link ]] ||
        fail "a symlink inside an output directory was copied"
    [[ ! -e $marker ]] || fail "$marker leaked to the host /tmp"
    [[ ! -e /tmp/tree/sub/leaf ]] || fail "/tmp/tree leaked to the host /tmp"
}

test_missing_output_listed() {
    local s
    s=$(new_step)
    run "$s" --sandbox --output here=/tmp/here --output gone=/tmp/gone --output also=/nonexistent/x \
        -- sh -c 'echo x > /tmp/here; exit 3'
    expect_eq "exit code" 3 "$RC"
    expect_eq "exit record" '{"exitCode":3,"missingOutputs":["gone","also"]}' "$(exit_record "$s")"
    expect_file_bytes "present output" "$s/outputs/here" 'x\n'
}

test_relative_output_uses_workdir() {
    local s w
    s=$(new_step)
    w=$(new_step)
    run "$s" --workdir "$w" --output r=rel.txt -- sh -c 'echo rel > rel.txt'
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "relative output" "$s/outputs/r" 'rel\n'
}

test_bind_read_only_into_new_path() {
    local s src
    s=$(new_step)
    src="$ROOT/volume-ro"
    mkdir -p "$src"
    echo "secret data" >"$src/data.txt"
    echo "config" >"$ROOT/config-file"
    # The sources are under the host /tmp, which the sandbox covers with a tmpfs;
    # /tmp/vol/ro and /tmp/etc/app.conf do not exist before the step.
    run "$s" --sandbox --bind "$src:/tmp/vol/ro:ro" --bind "$ROOT/config-file:/tmp/etc/app.conf:ro" -- sh -c '
        cat /tmp/vol/ro/data.txt
        cat /tmp/etc/app.conf
        if echo x > /tmp/vol/ro/new 2>/dev/null; then echo "write-dir-ok"; else echo "write-dir-denied"; fi
        if echo x >> /tmp/etc/app.conf 2>/dev/null; then echo "write-file-ok"; else echo "write-file-denied"; fi'
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "step view" "$s/stdout" 'secret data\nconfig\nwrite-dir-denied\nwrite-file-denied\n'
    [[ ! -e $src/new ]] || fail "write through the read-only bind reached the host"
    expect_eq "host file unchanged" "config" "$(cat "$ROOT/config-file")"
}

test_bind_read_write() {
    local s src
    s=$(new_step)
    src="$ROOT/volume-rw"
    mkdir -p "$src"
    run "$s" --sandbox --tmpfs /tmp/scratch --bind "$src:/tmp/scratch/rw" -- sh -c '
        echo written > /tmp/scratch/rw/out.txt && echo ok'
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "stdout" "$s/stdout" 'ok\n'
    expect_file_bytes "write through a read-write bind" "$src/out.txt" 'written\n'
}

test_bind_missing_source() {
    local s
    s=$(new_step)
    run "$s" --sandbox --bind "$ROOT/does-not-exist:/tmp/x" -- true
    expect_eq "exit code" 125 "$RC"
    expect_contains "exit record" '"error":"sandbox: bind source' "$(exit_record "$s")"
}

test_parallel_private_tmp() {
    local s1 s2 p1 p2 rc1=0 rc2=0 preexisting=0
    [[ -e /tmp/same-name ]] && preexisting=1
    s1=$(new_step)
    s2=$(new_step)
    "$BIN" --dir "$s1" --sandbox --output r=/tmp/same-name -- \
        sh -c 'echo one > /tmp/same-name; sleep 0.3; cat /tmp/same-name' &
    p1=$!
    "$BIN" --dir "$s2" --sandbox --output r=/tmp/same-name -- \
        sh -c 'echo two > /tmp/same-name; sleep 0.3; cat /tmp/same-name' &
    p2=$!
    BG_PIDS+=("$p1" "$p2")
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    expect_eq "exit code 1" 0 "$rc1"
    expect_eq "exit code 2" 0 "$rc2"
    expect_file_bytes "step 1 sees its own file" "$s1/stdout" 'one\n'
    expect_file_bytes "step 2 sees its own file" "$s2/stdout" 'two\n'
    expect_file_bytes "step 1 output" "$s1/outputs/r" 'one\n'
    expect_file_bytes "step 2 output" "$s2/outputs/r" 'two\n'
    if ((!preexisting)) && [[ -e /tmp/same-name ]]; then fail "/tmp/same-name leaked to the host"; fi
}

test_environment_exact() {
    local s
    s=$(new_step)
    RC=0
    env -i FOO=bar "$BIN" --dir "$s" -- sh -c 'echo $FOO' || RC=$?
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "FOO reaches the step" "$s/stdout" 'bar\n'
    s=$(new_step)
    RC=0
    env -i FOO=bar "$BIN" --dir "$s" -- env || RC=$?
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "the step's whole environment" "$s/stdout" 'FOO=bar\n'
    s=$(new_step)
    RC=0
    env -i PATH=/nonexistent FOO=1 "$BIN" --dir "$s" -- env || RC=$?
    expect_eq "PATH from the environment is used for the lookup" 127 "$RC"
}

test_stdin() {
    local s
    s=$(new_step)
    run "$s" -- cat
    expect_eq "exit code" 0 "$RC"
    [[ ! -e $s/stdout ]] || fail "stdin defaults to /dev/null: cat printed $(od -c "$s/stdout")"
    s=$(new_step)
    printf 'line1\nline2\n' >"$ROOT/input"
    run "$s" --sandbox --stdin "$ROOT/input" -- cat
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "--stdin (path hidden by the sandbox)" "$s/stdout" 'line1\nline2\n'
}

test_sigterm_to_step_pid() {
    local s sup rc=0
    s=$(new_step)
    "$BIN" --dir "$s" -- sleep 30 &
    sup=$!
    BG_PIDS+=("$sup")
    local pid
    pid=$(step_pid "$s") || return 0
    kill -TERM "$pid"
    wait "$sup" || rc=$?
    expect_eq "supervisor exit code" 143 "$rc"
    expect_eq "exit record" '{"exitCode":143,"signal":15}' "$(exit_record "$s")"
}

test_kill_step_group() {
    local s sup rc=0 child
    s=$(new_step)
    # The step's shell and its child both belong to the group: -pid reaches both.
    "$BIN" --dir "$s" -- sh -c 'sleep 30 & echo $! > '"$s"'/child; wait' &
    sup=$!
    BG_PIDS+=("$sup")
    wait_for_file "$s/child" || return 0
    child=$(cat "$s/child")
    kill -KILL -- "-$(step_pid "$s")"
    wait "$sup" || rc=$?
    expect_eq "supervisor exit code" 137 "$rc"
    expect_eq "exit record" '{"exitCode":137,"signal":9}' "$(exit_record "$s")"
    wait_gone "$child" || fail "the step's child survived kill(-pid)"
}

# SIGTERM, SIGINT, SIGHUP to the supervisor are forwarded to the step's group. SIGINT
# also checks that an inherited SIG_IGN (bash ignores it for background jobs) does not
# swallow it.
forward_signal() {
    local sig=$1 num=$2 s sup rc=0
    s=$(new_step)
    "$BIN" --dir "$s" -- sleep 30 &
    sup=$!
    BG_PIDS+=("$sup")
    step_pid "$s" >/dev/null || return 0
    kill "-$sig" "$sup"
    wait "$sup" || rc=$?
    expect_eq "supervisor exit code after SIG$sig" $((128 + num)) "$rc"
    expect_eq "exit record after SIG$sig" "{\"exitCode\":$((128 + num)),\"signal\":$num}" \
        "$(exit_record "$s")"
}

test_supervisor_forwards_signals() {
    forward_signal TERM 15
    forward_signal INT 2
    forward_signal HUP 1
}

# As in a pod, the step ends with its main process: what it left behind is killed,
# including processes that left its group (setsid) or were orphaned (double fork),
# and the supervisor does not wait for them.
test_leftover_processes_are_killed() {
    local s start end p
    s=$(new_step)
    start=$(date +%s%N)
    run "$s" -- sh -c '
        sleep 30 & echo $! > '"$s"'/bg
        setsid sleep 30 & echo $! > '"$s"'/escaped
        sh -c "sleep 30 & echo \$! > '"$s"'/orphan" &
        sleep 0.1; echo started'
    end=$(date +%s%N)
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "stdout" "$s/stdout" 'started\n'
    (((end - start) / 1000000 < 3000)) || fail "the supervisor waited for leftover processes"
    for p in bg escaped orphan; do
        if [[ -s $s/$p ]]; then
            wait_gone "$(cat "$s/$p")" || fail "the $p process outlived the step"
        else
            fail "no pid of the $p process"
        fi
    done
}

test_supervisor_death_kills_step() {
    local s sup step
    s=$(new_step)
    "$BIN" --dir "$s" -- sleep 30 &
    sup=$!
    BG_PIDS+=("$sup")
    step=$(step_pid "$s") || return 0
    kill -KILL "$sup"
    wait "$sup" 2>/dev/null || true
    wait_gone "$step" || fail "the step kept running after its supervisor was killed"
}

test_workdir() {
    local s w
    s=$(new_step)
    w=$(new_step)
    run "$s" --workdir "$w" -- pwd
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "working directory" "$s/stdout" "$w\n"
    s=$(new_step)
    run "$s" --sandbox --workdir /tmp -- sh -c 'pwd; ls -A'
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "workdir inside the sandbox (empty private /tmp)" "$s/stdout" '/tmp\n'
    s=$(new_step)
    run "$s" --workdir "$ROOT/no-such-dir" -- pwd
    expect_eq "exit code (bad workdir)" 125 "$RC"
    expect_contains "exit record (bad workdir)" "\"error\":\"workdir: $ROOT/no-such-dir: No such file or directory\"" \
        "$(exit_record "$s")"
}

test_script_file_as_last_argument() {
    local s
    s=$(new_step)
    printf 'echo "script args: $*"\necho "from script" >&2\nexit 4\n' >"$s/script.sh"
    run "$s" -- sh -e "$s/script.sh"
    expect_eq "exit code" 4 "$RC"
    expect_file_bytes "stdout" "$s/stdout" 'script args: \n'
    expect_file_bytes "log" "$s/log" 'script args: \nfrom script\n'
    # In the sandbox the host /tmp (and so this script) is hidden: bind it in.
    s=$(new_step)
    printf 'import sys\nprint("python", sys.argv[1:])\n' >"$s/script.py"
    printf 'echo sandboxed script; test -e %s || echo host-path-hidden\n' "$s/script.py" >"$s/script.sh"
    run "$s" --sandbox --bind "$s/script.sh:/tmp/argosy/script.sh:ro" -- sh /tmp/argosy/script.sh
    expect_eq "exit code (sandboxed)" 0 "$RC"
    expect_file_bytes "stdout (sandboxed)" "$s/stdout" 'sandboxed script\nhost-path-hidden\n'
    # An executable script with a shebang, run directly.
    s=$(new_step)
    printf '#!/bin/sh\necho "direct $1"\n' >"$s/run"
    chmod 755 "$s/run"
    run "$s" -- "$s/run" arg
    expect_eq "exit code (shebang)" 0 "$RC"
    expect_file_bytes "stdout (shebang)" "$s/stdout" 'direct arg\n'
}

test_usage_errors() {
    local s err rc=0
    s=$(new_step)
    run "$s" --bogus -- true
    expect_eq "exit code (unknown option)" 125 "$RC"
    expect_contains "exit record (unknown option)" '"error":"usage: unknown option --bogus' "$(exit_record "$s")"
    s=$(new_step)
    run "$s" --output 'a/b=/tmp/x' -- true
    expect_eq "exit code (bad output name)" 125 "$RC"
    s=$(new_step)
    run "$s" --sandbox
    expect_eq "exit code (no program)" 125 "$RC"
    expect_contains "exit record (no program)" 'missing -- PROGRAM' "$(exit_record "$s")"
    err=$("$BIN" -- true 2>&1) || rc=$?
    expect_eq "exit code (no --dir)" 125 "$rc"
    expect_contains "message (no --dir)" "missing --dir" "$err"
    rc=0
    err=$("$BIN" --dir "$ROOT/no-such-dir" -- true 2>&1) || rc=$?
    expect_eq "exit code (bad --dir)" 125 "$rc"
    expect_contains "message (bad --dir)" "no-such-dir" "$err"
}

test_unprivileged_sandbox() {
    if ! command -v setpriv >/dev/null || [[ $(id -u) != 0 ]]; then
        echo "  (skipped: needs root and setpriv to switch to an unprivileged user)"
        return 0
    fi
    if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$BIN"; then
        echo "  (skipped: $BIN is not executable by uid 65534)"
        return 0
    fi
    local s rc=0
    s=$(new_step)
    chmod 777 "$s"
    echo "ro data" >"$ROOT/unpriv-ro"
    chmod 644 "$ROOT/unpriv-ro"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --dir "$s" --sandbox \
        --bind "$ROOT/unpriv-ro:/tmp/ro/data:ro" --output o=/tmp/o -- \
        sh -c 'echo private > /tmp/o; cat /tmp/ro/data; echo x >> /tmp/ro/data 2>/dev/null || echo ro-denied
               echo x > /var/tmp/argosy-unpriv-probe 2>/dev/null; test -r /usr/bin/env || echo no-usr' ||
        rc=$?
    [[ -e /var/tmp/argosy-unpriv-probe ]] && { rm -f /var/tmp/argosy-unpriv-probe; fail "a write to /var/tmp reached the host"; }
    if [[ $rc == 125 ]]; then
        # No user namespaces here: the supervisor must refuse, not run unsandboxed.
        expect_contains "exit record" '"error":"sandbox: ' "$(exit_record "$s")"
        return 0
    fi
    expect_eq "exit code (user namespace fallback)" 0 "$rc"
    expect_file_bytes "stdout (user namespace fallback)" "$s/stdout" 'ro data\nro-denied\n'
    expect_file_bytes "output (user namespace fallback)" "$s/outputs/o" 'private\n'
}

# ---- --serve: supervisors forked from one server ----------------------------
# The controller keeps one `argosy-exec --serve` and asks it for each step (see main.c).

test_serve_forks_supervisors() {
    local s1 s2 out
    s1=$(new_step)
    s2=$(new_step)
    out=$(PYTHONPATH="$HERE" python3 - "$BIN" "$s1" "$s2" <<'PY'
import os, select, stat as st, struct, sys
from serve_client import Server, exit_record
binary, first, second = sys.argv[1:4]

server = Server(binary)
env = ["GREETING=served", "PATH=/usr/bin:/bin"]
pid, passed = server.request([binary, "--dir", first, "--", "sh", "-c", "sleep 0.3; echo from-$GREETING"], env,
                             keep_fds=True)
print("pid-positive", pid is not None and pid > 0)
# A pidfd of the supervisor comes with its pid (the server opens it before it can reap the supervisor),
# then the read end of its done pipe: open while the step runs, at end of file once the exit record is written.
fdinfo = open(f"/proc/self/fdinfo/{passed[0]}").read() if len(passed) == 2 else ""
print("pidfd-passed", f"Pid:\t{pid}\n" in fdinfo)
done = passed[1] if len(passed) == 2 else None
print("done-pipe", done is not None and st.S_ISFIFO(os.fstat(done).st_mode))
print("done-open-while-running", done is not None and select.select([done], [], [], 0.1)[0] == [])
stat = open(f"/proc/{pid}/stat").read()
print("parent-is-server", int(stat.rsplit(")", 1)[1].split()[1]) == server.process.pid)
print("done-at-end", done is not None and select.select([done], [], [], 5)[0] == [done] and os.read(done, 1) == b"")
print("exit", exit_record(first).strip())
print("supervisor-pid-file", open(first + "/status").read().split("\n")[0] == f"supervisor {pid}")
print("log", open(first + "/log").read().strip())
# Closing the socket ends the server; a supervisor it started runs on to its end.
pid = server.request([binary, "--dir", second, "--", "sh", "-c", "sleep 0.3; echo after-server"], env)
print("server-exit", server.close())
print("orphan-exit", exit_record(second).strip()[:40])
print("orphan-log", open(second + "/log").read().strip())
# A request that is not one ends the server instead of being guessed at.
server = Server(binary)
server.sock.sendall(struct.pack("=III", 0, 0, 0))
print("garbage-exit", server.process.wait(timeout=5))
PY
)
    expect_contains "pid" "pid-positive True" "$out"
    expect_contains "pidfd" "pidfd-passed True" "$out"
    expect_contains "done pipe" "done-pipe True" "$out"
    expect_contains "done pipe open while the step runs" "done-open-while-running True" "$out"
    expect_contains "done pipe ends with the step" "done-at-end True" "$out"
    expect_contains "parent" "parent-is-server True" "$out"
    expect_contains "pid file" "supervisor-pid-file True" "$out"
    expect_contains "exit record" 'exit {"exitCode":0' "$out"
    expect_contains "environment passed" "log from-served" "$out"
    expect_contains "server ends at EOF" "server-exit 0" "$out"
    expect_contains "orphan finished" 'orphan-exit {"exitCode":0' "$out"
    expect_contains "orphan log" "orphan-log after-server" "$out"
    expect_contains "garbage refused" "garbage-exit 125" "$out"
}

# After a sandboxed request the server builds the next step's view ahead, in a spare
# supervisor, and hands it the next step without --bind or --tmpfs: the step starts
# without waiting for its sandbox and sees what a supervisor of its own would show it.
test_serve_spare_supervisors() {
    local s1 s2 s3 s4 input out
    s1=$(new_step)
    s2=$(new_step)
    s3=$(new_step)
    s4=$(new_step)
    input=$(mktemp "$ROOT/stdin.XXXXXX")
    printf 'from-stdin\n' >"$input"
    out=$(PYTHONPATH="$HERE" python3 - "$BIN" "$s1" "$s2" "$s3" "$s4" "$input" "$ROOT" <<'PY'
import os, sys, time
from serve_client import Server, exit_record, stdout_of
binary, first, second, third, fourth, stdin, root = sys.argv[1:8]
server = Server(binary)
env = ["PATH=/usr/bin:/bin", "GREETING=spare"]

def request(step, options, script):
    return server.request([binary, "--dir", step] + options + ["--", "sh", "-c", script], env)

def finished(step):
    record = exit_record(step)
    return stdout_of(step) if record.startswith("{") else record

def spare():
    """The server's child in a mount namespace of its own that is no supervisor yet (each leads a session)."""
    ours_ns = os.readlink("/proc/self/ns/mnt")
    for _ in range(300):
        for pid in server.children():
            try:
                session = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[3])
                if session != pid and os.readlink(f"/proc/{pid}/ns/mnt") != ours_ns:
                    return pid
            except (OSError, ValueError, IndexError):
                pass
        time.sleep(0.01)
    return None

print("first", finished(first) if request(first, ["--sandbox"], "echo one") > 0 else "no pid")
waiting = spare()
print("spare-made", waiting is not None)
probe = f"/var/tmp/argosy-spare-probe-{os.getpid()}"
pid = request(second, ["--sandbox", "--stdin", stdin, "--workdir", "/usr"],
              f"cat; echo $GREETING in $(pwd); touch {probe}; ls -A /tmp | wc -l; echo x >/tmp/t; cat /tmp/t")
print("second", finished(second).replace("\n", "|"))
print("spare-used", waiting is not None and pid == waiting)
print("supervisor-line", open(second + "/status").read().split("\n")[0] == f"supervisor {pid}")
print("write-stayed-private", not os.path.exists(probe))
# A step with a volume gets a supervisor of its own; the spare waits for the next one.
waiting = spare()
vol = os.path.join(root, "vol-spare")
os.makedirs(vol, exist_ok=True)
pid = request(third, ["--sandbox", "--bind", f"{vol}:/mnt/vol"], "echo three >/mnt/vol/f")
print("third", finished(third) == "" and open(vol + "/f").read().strip())
print("bind-not-spare", pid != waiting)
pid = request(fourth, ["--sandbox"], "echo four")
print("fourth", finished(fourth), pid == waiting)
# Unused, a spare lasts two seconds.
time.sleep(0.3)
print("spare-after-fourth", spare() is not None)
time.sleep(2.5)
print("idle-children", server.children())
print("server-exit", server.close())
PY
)
    expect_contains "first step" "first one" "$out"
    expect_contains "a spare is made" "spare-made True" "$out"
    expect_contains "the spare runs the next step" "spare-used True" "$out"
    expect_contains "its pid is recorded" "supervisor-line True" "$out"
    expect_contains "stdin, environment, workdir, fresh /tmp" "second from-stdin|spare in /usr|0|x" "$out"
    expect_contains "its writes stay in its view" "write-stayed-private True" "$out"
    expect_contains "a volume is bound" "third three" "$out"
    expect_contains "a step with a volume does not take the spare" "bind-not-spare True" "$out"
    expect_contains "the spare waits for the next step" "fourth four True" "$out"
    expect_contains "a spare follows" "spare-after-fourth True" "$out"
    expect_contains "an idle spare ends" "idle-children []" "$out"
    expect_contains "server ends" "server-exit 0" "$out"
}

# The server reads the host's mount table once for its supervisors and again when it
# changes: a host mount made between two steps is in the second step's view.
test_serve_sees_new_host_mounts() {
    if [[ $(id -u) != 0 ]]; then
        echo "  (skipped: needs root to mount on the host)"
        return 0
    fi
    local s1 s2 mnt out
    s1=$(new_step)
    s2=$(new_step)
    mnt=$(mktemp -d /var/tmp/argosy-exec-mnt.XXXXXX)
    PROBES+=("$mnt")
    out=$(PYTHONPATH="$HERE" python3 - "$BIN" "$s1" "$s2" "$mnt" <<'PY'
import subprocess, sys
from serve_client import Server, exit_record, stdout_of
binary, first, second, mnt = sys.argv[1:5]
server = Server(binary)

def run(step, script):
    server.request([binary, "--dir", step, "--sandbox", "--", "sh", "-c", script], ["PATH=/usr/bin:/bin"])
    record = exit_record(step)
    return stdout_of(step) if record.startswith("{") else record

print("before", run(first, f"cat {mnt}/marker 2>/dev/null || echo absent"))
subprocess.run(["mount", "-t", "tmpfs", "argosy-test", mnt], check=True)
try:
    open(mnt + "/marker", "w").write("mounted\n")
    print("after", run(second, f"cat {mnt}/marker 2>/dev/null || echo absent"))
finally:
    subprocess.run(["umount", mnt], check=True)
server.close()
PY
)
    expect_contains "a step before the mount" "before absent" "$out"
    expect_contains "a step after the mount sees it" "after mounted" "$out"
}

# The supervisor may look the program up before it builds the sandbox, but the step
# still runs what a search in its own view finds: a program a volume adds to an earlier
# PATH directory, not one only the host's /tmp has.
test_path_search_in_step_view() {
    local s host vol later
    host=$(mktemp -d "$ROOT/host-bin.XXXXXX")
    vol=$(mktemp -d "$ROOT/vol-bin.XXXXXX")
    later=$(mktemp -d /var/tmp/argosy-exec-later.XXXXXX)
    PROBES+=("$later" "/var/lib/argosy-probe-bin-$$")
    printf '#!/bin/sh\necho %s\n' from-volume >"$vol/argosy-probe-prog"
    printf '#!/bin/sh\necho %s\n' from-host-tmp >"$host/argosy-probe-prog"
    printf '#!/bin/sh\necho %s\n' from-later >"$later/argosy-probe-prog"
    chmod 755 "$vol/argosy-probe-prog" "$host/argosy-probe-prog" "$later/argosy-probe-prog"
    s=$(new_step)
    PATH="/var/lib/argosy-probe-bin-$$:$later:/usr/bin:/bin" run "$s" --sandbox \
        --bind "$vol:/var/lib/argosy-probe-bin-$$:ro" -- argosy-probe-prog
    expect_eq "exit code (volume on PATH)" 0 "$RC"
    expect_file_bytes "the volume's program" "$s/stdout" 'from-volume\n'
    s=$(new_step)
    PATH="$host:$later:/usr/bin:/bin" run "$s" --sandbox -- argosy-probe-prog
    expect_eq "exit code (host /tmp on PATH)" 0 "$RC"
    expect_file_bytes "not the host's /tmp program" "$s/stdout" 'from-later\n'
    s=$(new_step)
    PATH="$later:/usr/bin:/bin" run "$s" --sandbox -- argosy-probe-prog
    expect_file_bytes "found on the host's PATH" "$s/stdout" 'from-later\n'
}

# ---- copy-on-write root (--sandbox) -------------------------------------------
# Under --sandbox the step sees the host's files through an overlay: what it writes
# outside its volumes and /tmp lands in a throwaway layer, never on the host.

test_writes_outside_tmp_stay_private() {
    local s p1 p2 host
    s=$(new_step)
    p1="/var/tmp/argosy-probe-$$-$RANDOM"
    p2="/root/argosy-probe2-$$-$RANDOM"
    PROBES+=("$p1" "$p2" "/etc/argosy-probe-dir-$$")
    # A host file outside /tmp that the step changes and deletes (copy-up, whiteout).
    host="/var/tmp/argosy-host-file-$$-$RANDOM"
    echo original >"$host"
    run "$s" --sandbox -- sh -c "
        echo one > $p1 && echo two > $p2 && cat $p1 $p2
        mkdir -p /etc/argosy-probe-dir-$$ && echo three > /etc/argosy-probe-dir-$$/f && cat /etc/argosy-probe-dir-$$/f
        echo appended >> $host && tail -n 1 $host && rm $host && test ! -e $host && echo removed"
    local changed
    changed=$(cat "$host" 2>/dev/null || echo "<missing>")
    rm -f "$host"
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "the step reads its own writes" "$s/stdout" 'one\ntwo\nthree\nappended\nremoved\n'
    [[ ! -e $p1 ]] || { rm -f "$p1"; fail "$p1 leaked to the host"; }
    [[ ! -e $p2 ]] || { rm -f "$p2"; fail "$p2 leaked to the host"; }
    [[ ! -e /etc/argosy-probe-dir-$$ ]] || { rm -rf "/etc/argosy-probe-dir-$$"; fail "/etc/argosy-probe-dir-$$ leaked to the host"; }
    expect_eq "host file untouched by the step's append and rm" original "$changed"
}

test_parallel_private_root() {
    local s1 s2 p1 p2 rc1=0 rc2=0 probe
    probe="/var/tmp/argosy-same-$$-$RANDOM"
    PROBES+=("$probe" "/root/argosy-same-$$")
    s1=$(new_step)
    s2=$(new_step)
    "$BIN" --dir "$s1" --sandbox --output r="$probe" -- \
        sh -c "echo one > $probe; echo one > /root/argosy-same-$$; sleep 0.3; cat $probe /root/argosy-same-$$" &
    p1=$!
    "$BIN" --dir "$s2" --sandbox --output r="$probe" -- \
        sh -c "echo two > $probe; echo two > /root/argosy-same-$$; sleep 0.3; cat $probe /root/argosy-same-$$" &
    p2=$!
    BG_PIDS+=("$p1" "$p2")
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    expect_eq "exit code 1" 0 "$rc1"
    expect_eq "exit code 2" 0 "$rc2"
    expect_file_bytes "step 1 sees its own files" "$s1/stdout" 'one\none\n'
    expect_file_bytes "step 2 sees its own files" "$s2/stdout" 'two\ntwo\n'
    expect_file_bytes "step 1 output" "$s1/outputs/r" 'one\n'
    expect_file_bytes "step 2 output" "$s2/outputs/r" 'two\n'
    [[ ! -e $probe ]] || fail "$probe leaked to the host"
    [[ ! -e /root/argosy-same-$$ ]] || fail "/root/argosy-same-$$ leaked to the host"
}

test_missing_bind_targets_stay_private() {
    local s cfg sec d1 d2
    s=$(new_step)
    cfg="$ROOT/probe-cfg"
    sec="$ROOT/probe-secret"
    mkdir -p "$cfg"
    echo "key=value" >"$cfg/app.conf"
    echo "s3cr3t" >"$sec"
    d1="/etc/argosy-probe-cfg-$$"
    d2="/root/.argosy-probe-$$/credentials"
    PROBES+=("$d1" "/root/.argosy-probe-$$")
    run "$s" --sandbox --bind "$cfg:$d1:ro" --bind "$sec:$d2:ro" -- sh -c "cat $d1/app.conf $d2"
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "volumes at new paths" "$s/stdout" 'key=value\ns3cr3t\n'
    [[ ! -e $d1 ]] || fail "bind target $d1 was created on the host"
    [[ ! -e /root/.argosy-probe-$$ ]] || fail "bind target /root/.argosy-probe-$$ was created on the host"
}

test_bind_writes_reach_host() {
    local s rw ro dst
    s=$(new_step)
    rw="$ROOT/probe-rw"
    ro="$ROOT/probe-ro"
    mkdir -p "$rw" "$ro"
    echo "keep" >"$ro/file"
    dst="/var/lib/argosy-probe-vol-$$"
    PROBES+=("$dst" "/etc/argosy-probe-ro-$$")
    run "$s" --sandbox --bind "$rw:$dst" --bind "$ro:/etc/argosy-probe-ro-$$:ro" -- sh -c "
        echo through > $dst/written && cat $dst/written
        if echo x > /etc/argosy-probe-ro-$$/new 2>/dev/null; then echo ro-write-ok; else echo ro-write-denied; fi
        if echo x >> /etc/argosy-probe-ro-$$/file 2>/dev/null; then echo ro-append-ok; else echo ro-append-denied; fi"
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "step view" "$s/stdout" 'through\nro-write-denied\nro-append-denied\n'
    expect_file_bytes "write through a writable bind reached the host" "$rw/written" 'through\n'
    [[ ! -e $ro/new ]] || fail "write through a read-only bind reached the host"
    expect_file_bytes "read-only bind unchanged" "$ro/file" 'keep\n'
    [[ ! -e $dst ]] || fail "bind target $dst was created on the host"
}

test_output_outside_tmp() {
    local s
    s=$(new_step)
    [[ -e /var/tmp/out.txt ]] || PROBES+=(/var/tmp/out.txt)
    [[ -e /root/argosy-out-dir ]] || PROBES+=(/root/argosy-out-dir)
    run "$s" --sandbox --output a=/var/tmp/out.txt --output b=/root/argosy-out-dir -- sh -c '
        echo "from var tmp" > /var/tmp/out.txt
        mkdir -p /root/argosy-out-dir/sub && echo leaf > /root/argosy-out-dir/sub/leaf'
    expect_eq "exit code" 0 "$RC"
    expect_eq "exit record" '{"exitCode":0}' "$(exit_record "$s")"
    expect_file_bytes "output from /var/tmp" "$s/outputs/a" 'from var tmp\n'
    expect_file_bytes "output directory from /root" "$s/outputs/b/sub/leaf" 'leaf\n'
    [[ ! -e /root/argosy-out-dir ]] || fail "/root/argosy-out-dir leaked to the host"
}

test_host_programs_and_system_mounts() {
    local s games="" py=""
    s=$(new_step)
    [[ -x /usr/games/cowsay ]] && games="/usr/games/cowsay moo >/dev/null && echo games-ok;"
    [[ -x /root/.pyenv/shims/python3 ]] && py="/root/.pyenv/shims/python3 -c 'print(1)';"
    run "$s" --sandbox -- sh -c "
        /usr/bin/env true && echo usr-bin-ok
        $games
        $py
        grep -q '^Pid:' /proc/self/status && echo proc-ok
        ls /dev/null
        echo x > /dev/null && echo dev-null-writable
        test -d /sys/kernel && echo sys-ok
        echo shm > /dev/shm/argosy-probe-$$ && cat /dev/shm/argosy-probe-$$"
    expect_eq "exit code" 0 "$RC"
    local want='usr-bin-ok\n'
    [[ -n $games ]] && want+='games-ok\n'
    [[ -n $py ]] && want+='1\n'
    want+='proc-ok\n/dev/null\ndev-null-writable\nsys-ok\nshm\n'
    expect_file_bytes "host programs and system mounts" "$s/stdout" "$want"
    [[ ! -e /dev/shm/argosy-probe-$$ ]] || fail "/dev/shm/argosy-probe-$$ leaked to the host"
}

test_old_root_unreachable() {
    local s
    s=$(new_step)
    run "$s" --sandbox -- sh -c '
        test -e /.argosy-old-root && echo old-root-visible
        grep -c " /tmp/root\| /.argosy-old-root" /proc/self/mountinfo || true
        awk "\$5 == \"/\" {print \$9}" /proc/self/mountinfo'
    expect_eq "exit code" 0 "$RC"
    expect_file_bytes "only the new root is mounted" "$s/stdout" '0\noverlay\n'
}

# ---- main ------------------------------------------------------------------

run_test test_exit_code_and_record
run_test test_pid_files_and_process_group
run_test test_step_signals_are_default
run_test test_log_and_stdout_separation
run_test test_output_is_byte_exact
run_test test_missing_program
run_test test_not_executable
run_test test_json_escaping
run_test test_name_prefixes_files
run_test test_durable_records
run_test test_output_from_private_tmp
run_test test_missing_output_listed
run_test test_relative_output_uses_workdir
run_test test_bind_read_only_into_new_path
run_test test_bind_read_write
run_test test_bind_missing_source
run_test test_parallel_private_tmp
run_test test_environment_exact
run_test test_stdin
run_test test_sigterm_to_step_pid
run_test test_kill_step_group
run_test test_supervisor_forwards_signals
run_test test_leftover_processes_are_killed
run_test test_supervisor_death_kills_step
run_test test_workdir
run_test test_script_file_as_last_argument
run_test test_usage_errors
run_test test_writes_outside_tmp_stay_private
run_test test_parallel_private_root
run_test test_missing_bind_targets_stay_private
run_test test_bind_writes_reach_host
run_test test_output_outside_tmp
run_test test_host_programs_and_system_mounts
run_test test_old_root_unreachable
run_test test_unprivileged_sandbox
run_test test_serve_forks_supervisors
run_test test_serve_sees_new_host_mounts
run_test test_serve_spare_supervisors
run_test test_path_search_in_step_view

echo "$passed passed, $failed failed"
((failed == 0))
