package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// reporter tells the world how a mount goes: in the foreground the user
// (stdout); in the background the parent that waits for the mount (the
// status pipe) and the log. Both tell systemd (sd_notify through
// NOTIFY_SOCKET, when set: a unit of Type=notify).
type reporter interface {
	// mounted: the file system is up; text says what is mounted where.
	mounted(text string)
	// stopping: the unmount begins.
	stopping()
	// unmounted: the mount is gone, unmounted from outside (umount,
	// fusermount3 -u) or by a signal.
	unmounted(dir string, outside bool)
}

// notify sends state to systemd if it listens; nothing otherwise.
func notify(logger *slog.Logger, state string) {
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		logger.Warn("cannot notify systemd", "state", state, "err", err)
	}
}

// foreground reports a mount served in the foreground.
type foreground struct {
	stdout io.Writer
	logger *slog.Logger
}

func (f foreground) mounted(text string) {
	fmt.Fprintf(f.stdout, "b2mount: %s; Ctrl-C unmounts\n", text)
	notify(f.logger, sddaemon.SdNotifyReady)
}

func (f foreground) stopping() { notify(f.logger, sddaemon.SdNotifyStopping) }

func (f foreground) unmounted(dir string, outside bool) {
	if outside {
		f.logger.Info("unmounted from outside", "mountpoint", dir)
		return
	}
	fmt.Fprintf(f.stdout, "b2mount: unmounted %s\n", dir)
}

// background reports a mount a daemon serves.
type background struct {
	status  *daemonStatus
	logger  *slog.Logger
	warning string // for the parent to show once mounted
}

func (b background) mounted(text string) {
	b.logger.Info(text, "pid", os.Getpid())
	b.status.ready(b.warning)
	notify(b.logger, sddaemon.SdNotifyReady)
}

func (b background) stopping() { notify(b.logger, sddaemon.SdNotifyStopping) }

func (b background) unmounted(dir string, outside bool) {
	how := "signal"
	if outside {
		how = "umount"
	}
	b.logger.Info("unmounted "+dir, "by", how)
}
