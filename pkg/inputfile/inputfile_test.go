//go:build unix

package inputfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ name, path, want string }{
		{"a FIFO", fifo, "a named pipe (FIFO), not a regular file"},
		{"a symlink to a FIFO", link("to-fifo", fifo), "a named pipe (FIFO)"},
		{"a symlink to /dev/ptmx", link("to-ptmx", "/dev/ptmx"), "a character device"},
		{"/dev/null", "/dev/null", "a character device"},
		{"/dev/zero, which never ends", "/dev/zero", "a character device"},
		{"a directory", dir, "a directory"},
		{"a missing file", filepath.Join(dir, "nope"), "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), tc.path, 1<<20)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q names the path; the caller does", err)
			}
		})
	}
	t.Run("a symlink to /dev/stdout when stdout is a pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		p := link("to-stdout", "/proc/self/fd/"+strconv.Itoa(int(w.Fd())))
		if _, err := Read(context.Background(), p, 1<<20); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("error %v, want a refusal", err)
		}
	})
}

func TestReadReadsARegularFileWithinItsLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(context.Background(), p, 10); err != nil || string(b) != "0123456789" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	if _, err := Read(context.Background(), p, 9); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}

// A large input (a terraform plan of 100+ MB) is held once: the buffer is
// sized from the file, not grown by doubling, which left up to three times
// the file in memory at the end of the read.
func TestReadHoldsALargeFileOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	const size = 3<<20 + 123
	if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Read(context.Background(), p, 8<<20)
	if err != nil || len(b) != size {
		t.Fatalf("Read = %d bytes, %v", len(b), err)
	}
	if c := cap(b); c > size+64<<10 {
		t.Errorf("the buffer holds %d bytes for a %d-byte file", c, size)
	}
}
