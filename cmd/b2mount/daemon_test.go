package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// --daemon returns once the bucket is mounted, says which process serves
// it, and tells systemd it is ready from the daemon once mounted; umount
// ends the daemon with exit status 0, after STOPPING=1.
func TestDaemonMountsThenUmountEndsIt(t *testing.T) {
	testenv.RequireFUSE(t)
	srv, _ := bucketWithPhotos(t, s3test.KindEmbedded)
	notify := listenNotify(t)
	dir := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "daemon.log")
	cleanupDaemon(t, dir, logFile)
	// The command runs in a process group of its own, as automount's
	// children do: the daemon must stay in it (autofs tells the processes
	// that mount for it by their process group), so no setsid.
	cmd := exec.Command(binary, "--daemon", "--log-file", logFile, "photos", dir)
	cmd.Env = append(serverEnv(t, srv), "NOTIFY_SOCKET="+notify.path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.String() != "" {
		t.Fatalf("b2mount --daemon: %v, stderr %q", err, stderr.String())
	}
	pid := daemonPid(t, logFile, dir)
	if pgrp, sid := processGroup(t, pid); pgrp != cmd.Process.Pid || sid != mySession(t) {
		t.Errorf("daemon in process group %d, session %d; want the command's group %d and this session", pgrp, sid, cmd.Process.Pid)
	}
	if want := "b2mount: mounted at " + dir + "; the daemon (pid " + strconv.Itoa(pid) + ") serves it until umount " + dir + "\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	if msg := notify.next(t); msg != "READY=1" || !mounted(dir) {
		t.Errorf("first sd_notify message %q, mounted %v; want READY=1 once mounted", msg, mounted(dir))
	}
	if _, err := os.Stat(filepath.Join(dir, "2024", "beach.jpg")); err != nil {
		t.Error(err)
	}
	if code, out, errOut := command(t, nil, "umount", dir); code != 0 {
		t.Fatalf("umount: exit %d: %s%s", code, out, errOut)
	}
	if msg := notify.next(t); msg != "STOPPING=1" {
		t.Errorf("sd_notify after umount: %q, want STOPPING=1", msg)
	}
	if ws := reapDaemon(t, pid); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("daemon ended with %v, want exit status 0", ws)
	}
}

// A daemon that cannot mount fails as the foreground does: one line, exit
// status 1, nothing mounted, no process left; one that cannot mount in
// --daemon-wait is stopped.
func TestDaemonFailures(t *testing.T) {
	testenv.RequireFUSE(t)
	srv, _ := bucketWithPhotos(t, s3test.KindEmbedded)
	dir := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "daemon.log")
	cleanupDaemon(t, dir, logFile)
	code, stdout, stderr := command(t, serverEnv(t, srv), binary, "--daemon", "--log-file", logFile, "nosuch", dir)
	if want := `b2mount: bucket "nosuch" does not exist (or the key cannot see it) at ` + srv.URL + "\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("missing bucket: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
	if mounted(dir) {
		t.Errorf("%s mounted after a failure", dir)
	}

	// Every LIST stalls and the timeouts are an hour: only --daemon-wait ends it.
	if err := srv.Proxy.SetFaults(s3test.Faults{StallFraction: 1, StallOps: []string{s3test.OpList}}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = command(t, serverEnv(t, srv), binary, "--daemon", "--daemon-wait", "1s", "--timeout", "1h",
		"--operation-timeout", "1h", "--log-file", logFile, "photos", dir)
	if want := "b2mount: " + dir + " was not mounted within 1s (--daemon-wait); the daemon was stopped\n"; code != 1 || stderr != want {
		t.Errorf("stalled server: exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	if mounted(dir) {
		t.Errorf("%s mounted after the daemon was stopped", dir)
	}
	// The daemon was the command's child, and the command reaped it: no
	// process of this binary serves dir any more.
	for _, p := range processesOf(t, binary) {
		if strings.Contains(p, dir) {
			t.Errorf("a daemon is left: %s", p)
		}
	}
}

// processesOf returns the command lines of the running processes of exe,
// by pid.
func processesOf(t *testing.T, exe string) map[int]string {
	t.Helper()
	out := map[int]string{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if e, err := os.Readlink(p + "/exe"); err != nil || e != exe {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(p))
		if cmd, err := os.ReadFile(p + "/cmdline"); err == nil {
			out[pid] = strings.ReplaceAll(string(cmd), "\x00", " ")
		}
	}
	return out
}

// In the foreground, with NOTIFY_SOCKET set as systemd sets it for a unit
// of Type=notify: READY=1 once the bucket is mounted, STOPPING=1 when
// SIGTERM starts the unmount, and exit status 0.
func TestReadinessOverNotifySocket(t *testing.T) {
	testenv.RequireFUSE(t)
	srv, _ := bucketWithPhotos(t, s3test.KindEmbedded)
	notify := listenNotify(t)
	dir := t.TempDir()
	p := newMountProc(append(serverEnv(t, srv), "NOTIFY_SOCKET="+notify.path), "photos", dir)
	p.start(t)
	if msg := notify.next(t); msg != "READY=1" || !mounted(dir) {
		t.Fatalf("first message %q, mounted %v; want READY=1 once mounted", msg, mounted(dir))
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if msg := notify.next(t); msg != "STOPPING=1" {
		t.Errorf("after SIGTERM: %q, want STOPPING=1", msg)
	}
	p.stop(t, syscall.SIGTERM) // exit 0, unmounted
	// The cost line ends the log: the check found only a folder at the
	// top, so two LISTs, and a HEAD.
	if !regexp.MustCompile(`msg="B2 transactions since the mount" class_a=0 class_b=1 class_c=2 `).MatchString(p.stderr.String()) {
		t.Errorf("no cost line on stderr:\n%s", p.stderr)
	}
}

// processGroup reads the process group and the session of pid from
// /proc/PID/stat.
func processGroup(t *testing.T, pid int) (pgrp, sid int) {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid pgrp session ...
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	pgrp, _ = strconv.Atoi(f[2])
	sid, _ = strconv.Atoi(f[3])
	return pgrp, sid
}

// mySession is this process's session.
func mySession(t *testing.T) int {
	_, sid := processGroup(t, os.Getpid())
	return sid
}
