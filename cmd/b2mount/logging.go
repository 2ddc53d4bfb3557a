package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
)

// newLogger sets up the log: stderr in the foreground; in the background
// (a daemon has no terminal) the file --log-file names, else syslog,
// which is the journal on systemd. Without either the log is lost, and
// warning says so for the command that started the daemon to show. done
// closes what the log holds open.
func newLogger(c *config, stderr io.Writer, background bool) (logger *slog.Logger, done func(), warning string, err error) {
	level := slog.LevelInfo
	if c.debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch {
	case !background:
		return slog.New(slog.NewTextHandler(stderr, opts)), func() {}, "", nil
	case c.logFile != "":
		f, err := os.OpenFile(c.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, "", fmt.Errorf("cannot open the log file: %w", err)
		}
		return slog.New(slog.NewTextHandler(f, opts)), func() { f.Close() }, "", nil
	}
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "b2mount")
	if err != nil {
		return slog.New(slog.DiscardHandler), func() {}, fmt.Sprintf("no syslog to log to (%v); pass --log-file PATH to keep the daemon's log", err), nil
	}
	return slog.New(newSyslogHandler(w, opts)), func() { w.Close() }, "", nil
}

// syslogHandler sends each record to syslog as one message, at the
// priority of its level, without a time (syslog adds its own).
type syslogHandler struct {
	level slog.Leveler
	// by are TextHandlers that write to syslog at Debug, Info, Warning and
	// Err priority.
	by [4]slog.Handler
}

func newSyslogHandler(w *syslog.Writer, opts *slog.HandlerOptions) *syslogHandler {
	o := *opts
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	h := &syslogHandler{level: opts.Level}
	for i, send := range []func(string) error{w.Debug, w.Info, w.Warning, w.Err} {
		h.by[i] = slog.NewTextHandler(syslogWriter(send), &o)
	}
	return h
}

// syslogWriter sends each write as one message.
type syslogWriter func(string) error

func (f syslogWriter) Write(p []byte) (int, error) { return len(p), f(string(p)) }

// pick is the handler for records at l.
func (h *syslogHandler) pick(l slog.Level) slog.Handler {
	switch {
	case l >= slog.LevelError:
		return h.by[3]
	case l >= slog.LevelWarn:
		return h.by[2]
	case l >= slog.LevelInfo:
		return h.by[1]
	}
	return h.by[0]
}

func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *syslogHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.pick(r.Level).Handle(ctx, r)
}

func (h *syslogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := &syslogHandler{level: h.level}
	for i, b := range h.by {
		out.by[i] = b.WithAttrs(attrs)
	}
	return out
}

func (h *syslogHandler) WithGroup(name string) slog.Handler {
	out := &syslogHandler{level: h.level}
	for i, b := range h.by {
		out.by[i] = b.WithGroup(name)
	}
	return out
}
