package mail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// DirSender is the embedded mailer: it writes each message as a complete
// RFC 5322 file into a directory, so a fresh install works with no mail
// server and a person can open what was sent.
//
// Files are named msg-<ID>.eml, the ID zero-padded to 20 digits when it is
// numeric so a directory listing sorts in outbox order. Sending the same row
// again replaces its file with identical bytes instead of adding a second
// one, which makes at-least-once delivery look like exactly-once here.
type DirSender struct {
	dir string
}

// NewDirSender returns a DirSender writing into dir, creating it (0700: the
// messages carry client data and invitation links) if it does not exist.
func NewDirSender(dir string) (*DirSender, error) {
	if dir == "" {
		return nil, errors.New("mail directory: empty path")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create mail directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("mail directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("mail directory %s: not a directory", dir)
	}
	return &DirSender{dir: dir}, nil
}

// Dir is the directory the messages are written to.
func (d *DirSender) Dir() string { return d.dir }

// FileName is the name (without directory) of the file Send writes for the
// message with the given ID.
func FileName(id string) string {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return fmt.Sprintf("msg-%020d.eml", n)
	}
	return "msg-" + id + ".eml"
}

// Send writes m to its file. The bytes go to a temporary file in the same
// directory that is synced and then renamed into place, and the directory
// is synced after the rename, so a crash leaves either no file or the whole
// message, never half of one. A file left behind by a crash ends in .tmp
// and is never a sent message.
func (d *DirSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write message %s: %w", m.ID, err)
	}
	msg, err := compose(m)
	if err != nil {
		return err
	}
	final := filepath.Join(d.dir, FileName(m.ID))
	tmp, err := os.CreateTemp(d.dir, ".msg-*.tmp")
	if err != nil {
		return fmt.Errorf("write message %s: %w", m.ID, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("write message %s: %w", m.ID, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write message %s: %w", m.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write message %s: sync: %w", m.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write message %s: close: %w", m.ID, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("write message %s: %w", m.ID, err)
	}
	done = true
	if err := syncDir(d.dir); err != nil {
		return fmt.Errorf("write message %s: %w", m.ID, err)
	}
	return nil
}

// syncDir makes a rename in dir durable: without it the new name can vanish
// after a power cut even though the file's data was synced.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync mail directory: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync mail directory: %w", err)
	}
	return nil
}
