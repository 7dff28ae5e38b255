package policycmd

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/org/oidc-aws-action/pkg/workflow"
)

// reportFile is where a command's report goes: stdout, or with --output
// FILE a file that is replaced only once the report is complete.
//
// The report is written to a new file beside FILE and renamed over it.
// So a failed run leaves the old report whole, and FILE itself is never
// opened: a symbolic link there is replaced, not followed, and a FIFO
// there cannot block the write.
type reportFile struct {
	path string   // "" for stdout
	tmp  *os.File // the new report until it is renamed to path
}

// openReport readies --output path ("" or "-" for stdout). It creates the
// new file at once, so that a path that cannot be written is a usage
// error before any input is read.
func openReport(path string) (*reportFile, error) {
	if path == "" || path == "-" {
		return &reportFile{}, nil
	}
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		return nil, errors.New("is a directory; give a file name")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, errors.New("cannot create a file in its directory: " + err.Error())
	}
	return &reportFile{path: path, tmp: tmp}, nil
}

// write writes the report with fn and, for a file, puts it in place. The
// file gets what stdout would: the same neutraliser (Run) keeps a report
// that a later step prints from starting a workflow command.
func (r *reportFile) write(stdout io.Writer, fn func(io.Writer) error) error {
	if r.tmp == nil {
		return fn(stdout)
	}
	w := workflow.NewInertWriter(r.tmp)
	err := fn(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = r.tmp.Sync()
	}
	if cerr := r.tmp.Close(); err == nil {
		err = cerr
	}
	// CreateTemp makes the file 0600; a report is for others to read.
	if err == nil {
		err = os.Chmod(r.tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(r.tmp.Name(), r.path)
	}
	if err != nil {
		os.Remove(r.tmp.Name())
	}
	r.tmp = nil
	return err
}

// discard removes a report that was never written (a run that ended
// early); after write it does nothing.
func (r *reportFile) discard() {
	if r.tmp != nil {
		r.tmp.Close()
		os.Remove(r.tmp.Name())
		r.tmp = nil
	}
}
