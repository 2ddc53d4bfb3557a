package main

import (
	"log/slog"
	"log/syslog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A daemon's log goes to syslog one record a message, at the priority of
// its level, without a time of its own (syslog stamps it).
func TestSyslogHandler(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w, err := syslog.Dial("unixgram", path, syslog.LOG_DAEMON|syslog.LOG_INFO, "b2mount")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	logger := slog.New(newSyslogHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})).With("mount", "/mnt/photos")
	logger.Debug("not logged")
	logger.Info("mounted", "pid", 42)
	logger.Warn("slow")
	logger.Error("failed")
	for _, want := range []struct{ prio, text string }{
		{"<30>", `level=INFO msg=mounted mount=/mnt/photos pid=42`}, // daemon.info
		{"<28>", `level=WARN msg=slow mount=/mnt/photos`},           // daemon.warning
		{"<27>", `level=ERROR msg=failed mount=/mnt/photos`},        // daemon.err
	} {
		conn.SetReadDeadline(time.Now().Add(hangWait))
		buf := make([]byte, 2048)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, want.prio) || !strings.HasSuffix(msg, ": "+want.text+"\n") || strings.Contains(msg, "time=") {
			t.Errorf("syslog message %q, want priority %s and %q without a time", msg, want.prio, want.text)
		}
	}
}
