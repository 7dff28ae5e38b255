package policycmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Bounds on one directory argument, so that `lint .` in a large tree ends
// with an error naming the directory instead of reading the whole tree.
// Variables so that tests can lower them.
var (
	maxSearchEntries = 100_000 // directory entries looked at
	maxSearchFiles   = 10_000  // files taken
)

// skippedDirs are never searched: they hold tools' copies and caches, not
// the configuration under review (.terraform holds downloaded modules).
var skippedDirs = map[string]bool{".git": true, ".terraform": true, "node_modules": true}

// searched says whether a directory search reads the file name: JSON, as
// every input these commands read is. Terraform's JSON configuration
// (.tf.json) is not a plan or state, so it is left out.
func searched(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".json") && !strings.HasSuffix(n, ".tf.json")
}

// expandArgs turns FILE arguments into the files to read, in order. A
// directory is searched recursively, in lexical order, for the files
// searched accepts. A symbolic link met there is reported, not followed:
// a link in a pull request could point anywhere, and a file skipped in
// silence would look checked. Any other argument ("-", a file, a path
// that does not exist) passes through for the reader to open or refuse.
func expandArgs(args []string) ([]string, []failure) {
	var files []string
	var failures []failure
	for _, arg := range args {
		st, err := os.Stat(arg)
		if arg == "-" || err != nil || !st.IsDir() {
			files = append(files, arg)
			continue
		}
		// WalkDir does not follow a link it starts at; a trailing
		// separator makes it look at the directory the named link leads to.
		root := arg
		if lst, err := os.Lstat(arg); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
			root += string(filepath.Separator)
		}
		found, failed := searchDir(root)
		files, failures = append(files, found...), append(failures, failed...)
		if len(found) == 0 && len(failed) == 0 {
			failures = append(failures, failure{arg, errors.New("is a directory with no .json file in it (searched recursively, leaving out .tf.json files and .git, .terraform and node_modules directories)")})
		}
	}
	return files, failures
}

func searchDir(dir string) ([]string, []failure) {
	var files []string
	var failures []failure
	entries := 0
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// The failure names the path; the error need not again.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			failures = append(failures, failure{path, err})
			return nil // WalkDir skips what it could not read
		}
		if entries++; entries > maxSearchEntries {
			failures = append(failures, failure{dir, fmt.Errorf("holds more than %d entries; name a narrower directory or the files themselves", maxSearchEntries)})
			return filepath.SkipAll
		}
		switch {
		case d.IsDir():
			if path != dir && skippedDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		case !searched(d.Name()):
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			failures = append(failures, failure{path, errors.New("is a symbolic link, which a directory search does not follow; name the file it points to instead")})
			return nil
		}
		if len(files) == maxSearchFiles {
			failures = append(failures, failure{dir, fmt.Errorf("holds more than %d .json files; name a narrower directory or the files themselves", maxSearchFiles)})
			return filepath.SkipAll
		}
		files = append(files, path)
		return nil
	})
	return files, failures
}
