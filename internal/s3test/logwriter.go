package s3test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

// lineTailSize is how many output lines a lineLogger keeps for errors.
const lineTailSize = 20

// lineLogger is an io.Writer that logs a child process's output line by
// line at debug level and keeps the last lines for error messages.
type lineLogger struct {
	logger *slog.Logger

	mu    sync.Mutex // guards buf and lines
	buf   []byte     // partial line not yet logged
	lines []string   // last lineTailSize complete lines
}

func newLineLogger(logger *slog.Logger) *lineLogger {
	return &lineLogger{logger: logger}
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf = append(l.buf, p...)
	var done []string
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(l.buf[:i]), "\r")
		l.buf = l.buf[i+1:]
		done = append(done, line)
		l.lines = append(l.lines, line)
		if len(l.lines) > lineTailSize {
			l.lines = l.lines[len(l.lines)-lineTailSize:]
		}
	}
	l.mu.Unlock()
	for _, line := range done {
		l.logger.Debug(line)
	}
	return len(p), nil
}

// tail returns the last lines of output, joined with " | ".
func (l *lineLogger) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := append([]string(nil), l.lines...)
	if len(l.buf) > 0 {
		lines = append(lines, string(l.buf))
	}
	return strings.Join(lines, " | ")
}
