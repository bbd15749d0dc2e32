package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockDir takes the exclusive lock on dir/LOCK that keeps a second server
// (another weiquan, or a backup restore) from opening the same SQLite files:
// FerretDB caches its metadata in memory and would not see the other's
// changes. The lock belongs to the open file, so the operating system
// releases it when the process dies; no stale lock survives a crash.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded: open lock file: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("embedded: lock %s: %w", path, err)
	}
	if held {
		_ = f.Close()
		owner := "another process"
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			owner = "process " + strings.TrimSpace(string(b))
		}
		return nil, fmt.Errorf("embedded: %s: %w (held by %s); stop it or choose another data directory", dir, ErrLocked, owner)
	}
	// The pid is only for the message above; the lock itself is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

func unlockDir(f *os.File) error {
	err := unlock(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
