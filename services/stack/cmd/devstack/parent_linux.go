package main

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"time"
)

// stopWithMake ends ctx when the parent is GNU make and make has been sent
// SIGINT, SIGHUP or SIGQUIT on its own (kill -INT <make>, not a terminal's
// Ctrl-C, which reaches the whole group). make passes only SIGTERM on to its
// children; for the others it assumes they got the signal too and waits for
// them forever, inside its signal handler, where the kernel keeps that
// signal blocked. So a blocked INT, HUP or QUIT in make's /proc status means
// make is waiting for devstack to stop.
func stopWithMake(ctx context.Context, stop context.CancelFunc) {
	ppid := os.Getppid()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "make" {
		return
	}
	const fatal = 1<<(1-1) | 1<<(2-1) | 1<<(3-1) // SIGHUP, SIGINT, SIGQUIT
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if os.Getppid() != ppid { // make is gone: nobody to wait for us
			stop()
			return
		}
		if blocked, ok := sigBlk(ppid); ok && blocked&fatal != 0 {
			stop()
			return
		}
	}
}

// sigBlk reads the blocked-signal mask of process pid.
func sigBlk(pid int) (uint64, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "SigBlk:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}
