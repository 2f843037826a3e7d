# shellcheck shell=bash
# Sourced by the CI stages: a job one stage starts in the background and a later
# stage waits for, so work that keeps one core busy runs beside a stage that
# leaves the other idle. A job runs in its own session (setsid), its output in
# DIR/log, its exit code in DIR/rc once it ends; DIR/pid names its session.
#
#   bg_start DIR CMD...   start CMD (DIR is emptied first)
#   bg_kill DIR           stop the job if it still runs (a stage that fails calls it)
#   bg_wait DIR           wait for the job, print its log and how long it ran,
#                         return its exit code; false when no job was started in DIR

bg_start() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	date +%s >"$dir/start"
	setsid bash -c 'd=$1; shift; "$@" >"$d/log" 2>&1 </dev/null; echo $? >"$d/rc.tmp"; mv "$d/rc.tmp" "$d/rc"' \
		sh "$dir" "$@" &
	echo $! >"$dir/pid"
}

bg_kill() {
	local dir=$1
	[ -e "$dir/pid" ] && [ ! -e "$dir/rc" ] || return 0
	kill -- -"$(cat "$dir/pid")" 2>/dev/null || true
	rm -f "$dir/pid"
}

bg_wait() {
	local dir=$1 rc
	[ -e "$dir/pid" ] || return 1
	while [ ! -e "$dir/rc" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; do sleep 2; done
	cat "$dir/log"
	rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
	rm -f "$dir/pid"
	echo "background job ($dir) ran $(($(stat -c %Y "$dir/rc" 2>/dev/null || date +%s) - $(cat "$dir/start")))s, exit $rc"
	return "$rc"
}
