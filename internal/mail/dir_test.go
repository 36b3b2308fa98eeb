package mail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDirSenderWritesMessage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	d, err := NewDirSender(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode: %v %v", fi.Mode(), err)
	}
	m := sampleMessage("42")
	if err := d.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "msg-00000000000000000042.eml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode())
	}
	p := parseMessage(t, raw)
	if p.Subject != m.Subject || p.Body != m.Body || p.To != "client@example.com" {
		t.Errorf("read back %+v", p)
	}
}

func TestDirSenderIdempotent(t *testing.T) {
	dir := t.TempDir()
	d, err := NewDirSender(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := d.Send(context.Background(), sampleMessage("9")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Send(context.Background(), sampleMessage("10")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// ReadDir sorts by name: numeric IDs must come out in outbox order.
	want := "msg-00000000000000000009.eml msg-00000000000000000010.eml"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files %q, want %q (no temp files, one per ID)", got, want)
	}
}

func TestDirSenderErrors(t *testing.T) {
	dir := t.TempDir()
	d, err := NewDirSender(dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := sampleMessage("../escape")
	if err := d.Send(context.Background(), bad); err == nil || !IsPermanent(err) {
		t.Errorf("path ID: %v", err)
	}
	bad = sampleMessage("3")
	bad.To = "nope"
	if err := d.Send(context.Background(), bad); err == nil || !IsPermanent(err) {
		t.Errorf("bad address: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Send(ctx, sampleMessage("4")); err == nil || IsPermanent(err) {
		t.Errorf("cancelled: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left files: %v", entries)
	}

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDirSender(file); err == nil {
		t.Error("a file accepted as mail directory")
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ id, want string }{
		{"1", "msg-00000000000000000001.eml"},
		{"18446744073709551615", "msg-18446744073709551615.eml"},
		{"abc-1", "msg-abc-1.eml"},
	}
	for _, tt := range tests {
		if got := FileName(tt.id); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
