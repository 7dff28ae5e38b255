//go:build !windows

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// stopGrace is how long a run may take to end after SIGTERM or SIGINT
// before the process exits anyway. Docker sends SIGKILL 10 s after SIGTERM
// (docker stop), so the message must be out well before then.
const stopGrace = 3 * time.Second

// stopOnSignal returns a context that SIGTERM or SIGINT (the runner
// cancelling the job, docker stop, Ctrl-C) cancels with a cause that says
// so; the run waits on nothing that ignores its context, so it ends at once
// with that message. Should it still be running stopGrace later, or another
// signal come, report is called and the process exits with status 1.
// stop releases the signals.
func stopOnSignal(report func(msg string)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var name string
		select {
		case s := <-sigs:
			name = signalName(s)
			cancel(fmt.Errorf("stopped by %s: the job was cancelled, or the step's container was stopped", name))
		case <-done:
			return
		}
		select {
		case <-sigs:
		case <-time.After(stopGrace):
		case <-done:
			return
		}
		report(fmt.Sprintf("stopped by %s: the run did not end within %s of it, so it was ended at once", name, stopGrace))
		os.Exit(1)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case os.Interrupt:
		return "SIGINT"
	}
	return s.String()
}
