package fs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/b2mount/b2mount/s3backend"
)

// fileJournal is the uploadJournal of one mount (B2 bills the parts of an
// unfinished upload as storage, so a crash must not leave one behind, and
// the next mount aborts only the ones its journal names: an upload of
// another client is never touched): a file of lines "start ID KEY"
// and "end ID", appended and synced. Safe for concurrent use.
type fileJournal struct {
	mu sync.Mutex // guards f
	f  *os.File
}

func openJournal(path string) (*fileJournal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("upload journal: %w", err)
	}
	return &fileJournal{f: f}, nil
}

func (j *fileJournal) started(up s3backend.Upload) error {
	return j.append(fmt.Sprintf("start %s %s\n", strconv.Quote(up.ID), strconv.Quote(up.Key)), true)
}

func (j *fileJournal) finished(up s3backend.Upload) {
	// An "end" that a crash loses only costs the next mount an abort of
	// an upload that is gone already.
	_ = j.append(fmt.Sprintf("end %s\n", strconv.Quote(up.ID)), false)
}

func (j *fileJournal) append(line string, sync bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.WriteString(line); err != nil {
		return fmt.Errorf("upload journal: %w", err)
	}
	if sync {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("upload journal: %w", err)
		}
	}
	return nil
}

// unfinishedUploads reads a journal and returns the uploads it started and
// did not end. A torn last line (a crash mid-write) is ignored.
func unfinishedUploads(path string) ([]s3backend.Upload, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	open := map[string]s3backend.Upload{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		verb, rest, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "start":
			idq, keyq, _ := strings.Cut(rest, " ")
			id, err1 := strconv.Unquote(idq)
			key, err2 := strconv.Unquote(keyq)
			if err1 == nil && err2 == nil {
				open[id] = s3backend.Upload{ID: id, Key: key}
				order = append(order, id)
			}
		case "end":
			if id, err := strconv.Unquote(rest); err == nil {
				delete(open, id)
			}
		}
	}
	var out []s3backend.Upload
	for _, id := range order {
		if up, ok := open[id]; ok {
			out = append(out, up)
			delete(open, id)
		}
	}
	return out, sc.Err()
}
