package corpus

import (
	"database/sql"
	"errors"
	"fmt"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// mapErr turns driver and OS errors into the package's sentinels, by SQLite
// (extended) result code and errno, never by message text. The original
// error stays in the chain for logs.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case sqlite3.ErrConstraintForeignKey:
			// A row that refers to a project, user, prompt or task that
			// does not exist.
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		switch se.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return fmt.Errorf("%w: %w", ErrBusy, err)
		case sqlite3.ErrFull:
			return fmt.Errorf("%w: %w", ErrNoSpace, err)
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if se.SystemErrno == syscall.ENOSPC {
			return fmt.Errorf("%w: %w", ErrNoSpace, err)
		}
		return err
	}
	if errors.Is(err, syscall.ENOSPC) && !errors.Is(err, ErrNoSpace) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

// notFound returns ErrNotFound when an UPDATE or DELETE touched no row.
func notFound(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
