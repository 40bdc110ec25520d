//go:build !unix

package elfdeps

import (
	"io/fs"
	"os"
)

type rfile struct{ *os.File }

func openFile(path string) (*rfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &rfile{f}, nil
}

func (f *rfile) size() (int64, bool, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	return st.Size(), st.Mode().IsRegular(), nil
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isSymlink(p string) (link, ok bool) {
	st, err := os.Lstat(p)
	return err == nil && st.Mode()&fs.ModeSymlink != 0, err == nil
}
